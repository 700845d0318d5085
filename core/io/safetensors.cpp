#include "core/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace moe {
namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; a larger length field is corruption, and reading it
// would only waste memory.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests three levels (file object, tensor object, shape list). Bounding depth and list length keeps
// hostile input from costing unbounded stack or memory inside the JSON parser.
constexpr std::size_t kMaxJsonDepth = 16;
constexpr std::size_t kMaxJsonListLength = 4096;
constexpr const char* kMetadataKey = "__metadata__";

struct DtypeInfo {
    const char* name;
    std::size_t size;
};
// All byte-sized dtypes of the safetensors specification.
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
    {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"I64", 8},     {"U64", 8}, {"F64", 8},
};

[[noreturn]] void throw_corrupt(const std::string& what, const std::string& problem) {
    throw FileError("'" + what + "' is not a valid safetensors file: " + problem +
                    ". The file is truncated or corrupt: re-save it, or use another checkpoint.");
}

// `target` is "'path'" when saving to a file, or a generic description when only serializing.
[[noreturn]] void throw_unsavable(const std::string& target, const std::string& problem) {
    throw FileError("Cannot save " + target + ": " + problem + ".");
}

// Element count of a shape, or false when a dimension is negative or the product does not fit in int64.
bool checked_numel(std::span<const std::int64_t> shape, std::int64_t& out) {
    for (std::int64_t d : shape) {
        if (d < 0) return false;
    }
    // An empty tensor is valid whatever its other dimensions, so a 0 anywhere wins over overflow elsewhere.
    if (std::find(shape.begin(), shape.end(), std::int64_t{0}) != shape.end()) {
        out = 0;
        return true;
    }
    std::int64_t n = 1;
    for (std::int64_t d : shape) {
        if (n > std::numeric_limits<std::int64_t>::max() / d) return false;
        n *= d;
    }
    out = n;
    return true;
}

std::string shape_string(std::span<const std::int64_t> shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Safetensors data is little-endian whatever the machine: copy element by element, swapping bytes on big-endian hosts.
template <class T>
std::string to_le_bytes(std::span<const T> values) {
    std::string out(values.size() * sizeof(T), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    if constexpr (std::endian::native == std::endian::big) {
        for (std::size_t i = 0; i < out.size(); i += sizeof(T)) {
            std::reverse(out.begin() + i, out.begin() + i + sizeof(T));
        }
    }
    return out;
}

template <class T>
std::vector<T> from_le_bytes(std::string_view bytes) {
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    if constexpr (std::endian::native == std::endian::big) {
        for (T& v : out) {
            auto* p = reinterpret_cast<unsigned char*>(&v);
            std::reverse(p, p + sizeof(T));
        }
    }
    return out;
}

template <class T>
Tensor make_tensor(const char* dtype, std::vector<std::int64_t> shape, std::span<const T> values) {
    std::int64_t n = 0;
    if (!checked_numel(shape, n) || static_cast<std::uint64_t>(n) != values.size()) {
        throw FileError("Cannot build a " + std::string(dtype) + " tensor of shape " + shape_string(shape) + " from " +
                        std::to_string(values.size()) + " values: the shape must be non-negative and hold exactly " +
                        "that many values.");
    }
    return Tensor{dtype, std::move(shape), to_le_bytes(values)};
}

// Checks that `t` has the dtype asked for and data matching its shape, so the byte copy that follows is exact.
void check_readable(const Tensor& t, std::string_view what, const char* dtype) {
    if (t.dtype != dtype) {
        throw FileError("Tensor " + std::string(what) + " has dtype " + t.dtype + ", expected " + dtype +
                        ". The checkpoint was saved in another precision or by another program: re-save it, or use "
                        "another checkpoint.");
    }
    std::int64_t n = 0;
    const std::size_t elem = safetensors_dtype_size(t.dtype);
    if (!checked_numel(t.shape, n) || t.data.size() % elem != 0 ||
        t.data.size() / elem != static_cast<std::uint64_t>(n)) {
        throw FileError("Tensor " + std::string(what) + " has " + std::to_string(t.data.size()) +
                        " bytes of data, which does not match its shape " + shape_string(t.shape) +
                        ". The file is truncated or corrupt: re-save it, or use another checkpoint.");
    }
}

template <class T>
std::vector<T> read_as(const Tensor& t, std::string_view what, const char* dtype) {
    check_readable(t, what, dtype);
    return from_le_bytes<T>(t.data);
}

// Parses the header, refusing duplicate keys (the JSON library would silently keep one of them, hiding corruption)
// and bounding nesting depth and list length.
json parse_header(std::string_view text, const std::string& what) {
    struct Frame {
        bool is_object;
        std::set<std::string> keys;
        std::size_t items = 0;
    };
    struct TooComplex {
        std::string problem;
    };
    std::vector<Frame> frames;
    std::string duplicate;
    bool has_duplicate = false;

    auto count_item = [&] {
        if (!frames.empty() && !frames.back().is_object && ++frames.back().items > kMaxJsonListLength) {
            throw TooComplex{"a list in the header has more than " + std::to_string(kMaxJsonListLength) + " entries"};
        }
    };
    json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                if (frames.size() >= kMaxJsonDepth) throw TooComplex{"the header is nested too deeply"};
                frames.push_back(Frame{event == json::parse_event_t::object_start, {}, 0});
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                if (!frames.empty()) frames.pop_back();
                count_item();
                break;
            case json::parse_event_t::key:
                if (!frames.empty() && parsed.is_string() &&
                    !frames.back().keys.insert(parsed.get<std::string>()).second && !has_duplicate) {
                    has_duplicate = true;
                    duplicate = parsed.get<std::string>();
                }
                break;
            case json::parse_event_t::value:
                count_item();
                break;
        }
        return true;
    };

    // The JSON library stops at a NUL byte as if the input ended there, which would silently accept whatever follows;
    // a NUL is never valid in JSON text, so refuse it up front.
    if (text.find('\0') != std::string_view::npos) {
        throw_corrupt(what, "the header is not valid JSON (it contains a NUL byte)");
    }
    json header;
    try {
        header = json::parse(text.begin(), text.end(), callback);
    } catch (const TooComplex& e) {
        throw_corrupt(what, e.problem);
    } catch (const json::exception& e) {
        throw_corrupt(what, std::string("the header is not valid JSON (") + e.what() + ")");
    }
    if (has_duplicate) throw_corrupt(what, "the header has the key '" + duplicate + "' twice");
    return header;
}

// A JSON number that is a non-negative integer (not 1.5, not -1, not a number too large for u64).
bool as_u64(const json& j, std::uint64_t& out) {
    if (!j.is_number_unsigned()) return false;
    out = j.get<std::uint64_t>();
    return true;
}

struct Entry {
    std::string name;
    Tensor tensor;
    std::uint64_t begin;
    std::uint64_t end;
};

Entry parse_entry(const std::string& name, const json& j, std::uint64_t buffer_size, const std::string& what) {
    const std::string who = "tensor '" + name + "'";
    if (!j.is_object()) throw_corrupt(what, who + " is not a JSON object");
    for (const auto& [key, value] : j.items()) {
        if (key != "dtype" && key != "shape" && key != "data_offsets") {
            throw_corrupt(what, who + " has the unknown field '" + key + "'");
        }
    }
    Entry e;
    e.name = name;

    auto dtype = j.find("dtype");
    if (dtype == j.end()) throw_corrupt(what, who + " has no dtype");
    if (!dtype->is_string()) throw_corrupt(what, who + " has a dtype that is not a string");
    e.tensor.dtype = dtype->get<std::string>();
    const std::size_t elem = safetensors_dtype_size(e.tensor.dtype);
    if (elem == 0) throw_corrupt(what, who + " has the unknown dtype '" + e.tensor.dtype + "'");

    auto shape = j.find("shape");
    if (shape == j.end()) throw_corrupt(what, who + " has no shape");
    if (!shape->is_array()) throw_corrupt(what, who + " has a shape that is not a list");
    for (const json& d : *shape) {
        std::uint64_t v = 0;
        if (!as_u64(d, v)) throw_corrupt(what, who + " has a shape entry that is not a non-negative integer");
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            throw_corrupt(what, who + " has a shape entry that is too large");
        }
        e.tensor.shape.push_back(static_cast<std::int64_t>(v));
    }
    std::int64_t numel = 0;
    if (!checked_numel(e.tensor.shape, numel)) {
        throw_corrupt(what, who + " has the shape " + shape_string(e.tensor.shape) + ", too large to exist");
    }

    auto offsets = j.find("data_offsets");
    if (offsets == j.end()) throw_corrupt(what, who + " has no data_offsets");
    if (!offsets->is_array() || offsets->size() != 2 || !as_u64((*offsets)[0], e.begin) ||
        !as_u64((*offsets)[1], e.end)) {
        throw_corrupt(what, who + " has data_offsets that are not a list of two non-negative integers");
    }
    if (e.begin > e.end) {
        throw_corrupt(what, who + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                "] that end before they begin");
    }
    if (e.end > buffer_size) {
        throw_corrupt(what, who + " ends at byte " + std::to_string(e.end) + " of the data, but the data is only " +
                                std::to_string(buffer_size) + " bytes long");
    }
    // Compare by division: numel * elem can overflow u64 for a hostile shape.
    const std::uint64_t size = e.end - e.begin;
    const auto n = static_cast<std::uint64_t>(numel);
    if (size % elem != 0 || size / elem != n) {
        throw_corrupt(what, who + " has " + std::to_string(size) + " bytes of data, but dtype " + e.tensor.dtype +
                                " and shape " + shape_string(e.tensor.shape) + " need " +
                                (n > std::numeric_limits<std::uint64_t>::max() / elem
                                     ? std::string("more than 2^64")
                                     : std::to_string(n * elem)));
    }
    return e;
}

// Validates a tensor before writing, so that nothing is written that this reader (or the reference one) would refuse.
void check_writable(const std::string& target, const std::string& name, const Tensor& t) {
    const std::string who = "tensor '" + name + "'";
    if (name == kMetadataKey) throw_unsavable(target, "'__metadata__' is reserved and cannot name a tensor");
    const std::size_t elem = safetensors_dtype_size(t.dtype);
    if (elem == 0) throw_unsavable(target, who + " has the unknown dtype '" + t.dtype + "'");
    std::int64_t n = 0;
    if (!checked_numel(t.shape, n)) {
        throw_unsavable(target, who + " has the shape " + shape_string(t.shape) + ", which is negative or too large");
    }
    if (t.data.size() % elem != 0 || t.data.size() / elem != static_cast<std::uint64_t>(n)) {
        throw_unsavable(target, who + " has " + std::to_string(t.data.size()) +
                                    " bytes of data, which does not match dtype " + t.dtype + " and shape " +
                                    shape_string(t.shape));
    }
}

std::string serialize(const SafetensorsFile& file, const std::string& target) {
    // ordered_json keeps insertion order, so the header lists tensors in the order their data is laid out.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!file.metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto& [k, v] : file.metadata) meta[k] = v;
        header[kMetadataKey] = std::move(meta);
    }
    std::set<std::string_view> names;
    std::uint64_t offset = 0;
    for (const auto& [name, t] : file.tensors) {
        check_writable(target, name, t);
        if (!names.insert(name).second) throw_unsavable(target, "the tensor name '" + name + "' is used twice");
        const std::uint64_t end = offset + t.data.size();
        header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
        offset = end;
    }

    std::string text;
    try {
        // Strict UTF-8: a name or value that is not valid UTF-8 would make a file other readers refuse.
        text = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
    } catch (const nlohmann::json::exception&) {
        throw_unsavable(target, "a tensor name or metadata entry is not valid UTF-8 text");
    }
    // Pad with spaces (valid trailing JSON whitespace) so the data buffer starts 8-byte aligned, which lets readers
    // map tensors in place.
    text.append((8 - text.size() % 8) % 8, ' ');

    std::string out;
    out.reserve(8 + text.size() + offset);
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += text;
    for (const auto& [name, t] : file.tensors) out += t.data;
    return out;
}

}  // namespace

std::size_t safetensors_dtype_size(std::string_view dtype) {
    for (const DtypeInfo& d : kDtypes) {
        if (dtype == d.name) return d.size;
    }
    return 0;
}

std::int64_t Tensor::numel() const {
    std::int64_t n = 0;
    if (!checked_numel(shape, n)) throw FileError("Tensor shape " + shape_string(shape) + " is negative or too large.");
    return n;
}

Tensor make_tensor_f32(std::vector<std::int64_t> shape, std::span<const float> values) {
    return make_tensor("F32", std::move(shape), values);
}
Tensor make_tensor_f64(std::vector<std::int64_t> shape, std::span<const double> values) {
    return make_tensor("F64", std::move(shape), values);
}
Tensor make_tensor_i32(std::vector<std::int64_t> shape, std::span<const std::int32_t> values) {
    return make_tensor("I32", std::move(shape), values);
}
Tensor make_tensor_i64(std::vector<std::int64_t> shape, std::span<const std::int64_t> values) {
    return make_tensor("I64", std::move(shape), values);
}

std::vector<float> tensor_to_f32(const Tensor& t, std::string_view what, F64ToF32 conversion) {
    if (t.dtype == "F64" && conversion == F64ToF32::allow) {
        std::vector<double> d = read_as<double>(t, what, "F64");
        return std::vector<float>(d.begin(), d.end());
    }
    return read_as<float>(t, what, "F32");
}
std::vector<double> tensor_to_f64(const Tensor& t, std::string_view what) { return read_as<double>(t, what, "F64"); }
std::vector<std::int32_t> tensor_to_i32(const Tensor& t, std::string_view what) {
    return read_as<std::int32_t>(t, what, "I32");
}
std::vector<std::int64_t> tensor_to_i64(const Tensor& t, std::string_view what) {
    return read_as<std::int64_t>(t, what, "I64");
}

const Tensor* SafetensorsFile::find(std::string_view name) const {
    for (const auto& [n, t] : tensors) {
        if (n == name) return &t;
    }
    return nullptr;
}

void SafetensorsFile::add(std::string name, Tensor tensor) {
    if (name == kMetadataKey) throw FileError("Cannot add a tensor named '__metadata__': the name is reserved.");
    if (find(name) != nullptr) throw FileError("Cannot add the tensor '" + name + "': the name is already used.");
    tensors.emplace_back(std::move(name), std::move(tensor));
}

std::string serialize_safetensors(const SafetensorsFile& file) { return serialize(file, "the safetensors file"); }

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& what) {
    if (bytes.size() < 8) {
        throw_corrupt(what, "it is " + std::to_string(bytes.size()) +
                                " bytes long, shorter than the 8-byte header length that starts every such file");
    }
    std::uint64_t header_len = 0;
    for (int i = 0; i < 8; ++i) header_len |= std::uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
    if (header_len > kMaxHeaderBytes) {
        throw_corrupt(what, "the header length " + std::to_string(header_len) + " is larger than the limit of " +
                                std::to_string(kMaxHeaderBytes) + " bytes");
    }
    if (header_len > bytes.size() - 8) {
        throw_corrupt(what, "the header is " + std::to_string(header_len) + " bytes long but only " +
                                std::to_string(bytes.size() - 8) + " bytes follow the length field");
    }
    const std::string_view header_text = bytes.substr(8, header_len);
    const std::string_view buffer = bytes.substr(8 + header_len);

    const json header = parse_header(header_text, what);
    if (!header.is_object()) throw_corrupt(what, "the header is not a JSON object");

    SafetensorsFile file;
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
        if (key == kMetadataKey) {
            if (value.is_null()) continue;  // the reference reader treats null as "no metadata"
            if (!value.is_object()) throw_corrupt(what, "__metadata__ is not a JSON object");
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string()) throw_corrupt(what, "the __metadata__ entry '" + mk + "' is not a string");
                file.metadata.emplace(mk, mv.get<std::string>());
            }
            continue;
        }
        entries.push_back(parse_entry(key, value, buffer.size(), what));
    }

    // Tensors must tile the data buffer exactly: sorted by position, each starts where the previous one ended.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (const Entry& e : entries) {
        if (e.begin < expected) {
            throw_corrupt(what, "tensor '" + e.name + "' overlaps the data of another tensor (it starts at byte " +
                                    std::to_string(e.begin) + ", before byte " + std::to_string(expected) + ")");
        }
        if (e.begin > expected) {
            throw_corrupt(what, "bytes " + std::to_string(expected) + " to " + std::to_string(e.begin) +
                                    " of the data belong to no tensor (a hole before tensor '" + e.name + "')");
        }
        expected = e.end;
    }
    if (expected != buffer.size()) {
        throw_corrupt(what, "the data is " + std::to_string(buffer.size()) + " bytes long but the tensors cover only " +
                                std::to_string(expected) + " bytes");
    }

    file.tensors.reserve(entries.size());
    for (Entry& e : entries) {
        e.tensor.data.assign(buffer.substr(e.begin, e.end - e.begin));
        file.tensors.emplace_back(std::move(e.name), std::move(e.tensor));
    }
    return file;
}

void save_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
    write_file_atomic(path, serialize(file, "'" + path.string() + "'"));
}

SafetensorsFile load_safetensors(const std::filesystem::path& path) {
    return parse_safetensors(read_file(path), path.string());
}

}  // namespace moe
