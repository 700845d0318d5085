// The safetensors reader/writer: exact round trips, byte-for-byte agreement with the format specification, and a
// FileError (never a crash) for every kind of truncated or corrupt file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"

namespace moe {
namespace {

namespace fs = std::filesystem;

const std::string kName = "ckpt/corrupt.safetensors";

// A file from a header text and a data buffer, with no padding: lets each test state exactly what the reader sees.
std::string raw_file(const std::string& header, const std::string& data = "") {
    std::string out;
    std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return out + header + data;
}

std::string le_u64(std::uint64_t n) {
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return out;
}

// Parses `bytes` and checks that it fails with a FileError naming the file and saying what to do. Returns the
// message so a test can also check that it names the problem.
std::string expect_corrupt(const std::string& bytes) {
    try {
        parse_safetensors(bytes, kName);
    } catch (const FileError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find(kName), std::string::npos) << msg;
        EXPECT_NE(msg.find("truncated or corrupt"), std::string::npos) << msg;
        EXPECT_NE(msg.find("re-save"), std::string::npos) << msg;
        return msg;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected FileError, got another exception: " << e.what();
        return "";
    }
    ADD_FAILURE() << "expected FileError, but the file parsed";
    return "";
}

// A file with a variety of tensors, used by the round trip and the fuzz tests.
SafetensorsFile sample_file() {
    SafetensorsFile f;
    f.metadata["config"] = R"({"hidden": 64, "name": "tiny \"moe\"\n", "unicode": "α→β"})";
    f.metadata["format"] = "pt";
    const std::vector<float> f32 = {1.0f, -2.5f, 0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::quiet_NaN()};
    f.add("model.layers.0.mlp.gate.weight", make_tensor_f32({2, 3}, f32));
    const std::vector<double> f64 = {3.141592653589793, -1e-300, 1e300};
    f.add("model.norm.weight", make_tensor_f64({3}, f64));
    const std::vector<std::int32_t> i32 = {std::numeric_limits<std::int32_t>::min(), -1, 0, 7};
    f.add("counts", make_tensor_i32({2, 1, 2}, i32));
    const std::vector<std::int64_t> scalar = {std::numeric_limits<std::int64_t>::max()};
    f.add("step", make_tensor_i64({}, scalar));
    f.add("empty", make_tensor_f32({0}, std::vector<float>{}));
    f.add("empty2d", make_tensor_i64({3, 0}, std::vector<std::int64_t>{}));
    return f;
}

void expect_same(const SafetensorsFile& a, const SafetensorsFile& b) {
    EXPECT_EQ(a.metadata, b.metadata);
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    for (std::size_t i = 0; i < a.tensors.size(); ++i) {
        EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
        EXPECT_EQ(a.tensors[i].second.dtype, b.tensors[i].second.dtype);
        EXPECT_EQ(a.tensors[i].second.shape, b.tensors[i].second.shape);
        // Raw bytes, so NaN payloads and -0.0 count too.
        EXPECT_EQ(a.tensors[i].second.data, b.tensors[i].second.data) << a.tensors[i].first;
    }
}

TEST(Safetensors, RoundTripIsExact) {
    const SafetensorsFile f = sample_file();
    const std::string bytes = serialize_safetensors(f);
    const SafetensorsFile g = parse_safetensors(bytes, "memory");
    expect_same(f, g);
    EXPECT_EQ(serialize_safetensors(g), bytes);

    const std::vector<float> w = tensor_to_f32(*g.find("model.layers.0.mlp.gate.weight"), "gate");
    ASSERT_EQ(w.size(), 6u);
    EXPECT_EQ(w[0], 1.0f);
    EXPECT_EQ(w[1], -2.5f);
    EXPECT_TRUE(std::signbit(w[3]));
    EXPECT_TRUE(std::isinf(w[4]));
    EXPECT_TRUE(std::isnan(w[5]));
    EXPECT_EQ(tensor_to_f64(*g.find("model.norm.weight"), "norm"), (std::vector<double>{3.141592653589793, -1e-300,
                                                                                         1e300}));
    EXPECT_EQ(tensor_to_i32(*g.find("counts"), "counts"),
              (std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(), -1, 0, 7}));
    const Tensor* step = g.find("step");
    ASSERT_NE(step, nullptr);
    EXPECT_TRUE(step->shape.empty());
    EXPECT_EQ(step->numel(), 1);
    EXPECT_EQ(tensor_to_i64(*step, "step"), (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max()}));
    EXPECT_EQ(g.find("empty")->numel(), 0);
    EXPECT_TRUE(tensor_to_f32(*g.find("empty"), "empty").empty());
    EXPECT_EQ(g.find("empty2d")->shape, (std::vector<std::int64_t>{3, 0}));
    EXPECT_EQ(g.find("missing"), nullptr);
}

TEST(Safetensors, EmptyFileRoundTrips) {
    const SafetensorsFile f;
    const std::string bytes = serialize_safetensors(f);
    EXPECT_EQ(bytes, le_u64(8) + "{}      ");
    const SafetensorsFile g = parse_safetensors(bytes, "memory");
    EXPECT_TRUE(g.metadata.empty());
    EXPECT_TRUE(g.tensors.empty());
}

TEST(Safetensors, SaveAndLoadThroughDisk) {
    const fs::path dir = fs::temp_directory_path() / ("moelab_st_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    ensure_directory(dir);
    const fs::path path = dir / "model.safetensors";
    const SafetensorsFile f = sample_file();
    save_safetensors(path, f);
    expect_same(f, load_safetensors(path));
    // Overwriting replaces the file completely.
    SafetensorsFile small;
    small.add("x", make_tensor_f32({1}, std::vector<float>{4.0f}));
    save_safetensors(path, small);
    expect_same(small, load_safetensors(path));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
    fs::remove_all(dir);
}

// The bytes of a tiny file, written out by hand from the specification: 8-byte little-endian header length, the JSON
// header padded with spaces so the data starts at a multiple of 8, then row-major little-endian data.
TEST(Safetensors, BytesMatchTheSpecification) {
    SafetensorsFile f;
    f.metadata["k"] = "v";
    f.add("b", make_tensor_f32({2}, std::vector<float>{1.0f, -2.0f}));  // "b" before "a": order given is kept
    f.add("a", make_tensor_i64({}, std::vector<std::int64_t>{-3}));

    const std::string json =
        R"({"__metadata__":{"k":"v"},)"
        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("a":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})";
    ASSERT_EQ(json.size(), 132u);
    // 8 + 132 = 140 bytes; 4 spaces bring the data start to 144 = 18 * 8. Header length 136 = 0x88.
    const std::string header = json + "    ";
    std::string expected("\x88\x00\x00\x00\x00\x00\x00\x00", 8);
    expected += header;
    expected += std::string("\x00\x00\x80\x3f", 4);                  // 1.0f  = 0x3f800000
    expected += std::string("\x00\x00\x00\xc0", 4);                  // -2.0f = 0xc0000000
    expected += std::string("\xfd\xff\xff\xff\xff\xff\xff\xff", 8);  // -3 as int64
    EXPECT_EQ(serialize_safetensors(f), expected);

    // And the reader accepts the hand-built bytes.
    const SafetensorsFile g = parse_safetensors(expected, "expected");
    EXPECT_EQ(g.metadata.at("k"), "v");
    ASSERT_EQ(g.tensors.size(), 2u);
    EXPECT_EQ(g.tensors[0].first, "b");
    EXPECT_EQ(tensor_to_f32(g.tensors[0].second, "b"), (std::vector<float>{1.0f, -2.0f}));
    EXPECT_EQ(tensor_to_i64(g.tensors[1].second, "a"), (std::vector<std::int64_t>{-3}));
}

// Byte strings the reference implementation's own tests expect from its writer, for files whose layout does not
// depend on tensor order: the same bytes must come out here.
TEST(Safetensors, MatchesReferenceWriterBytes) {
    auto bytes_of = [](std::initializer_list<int> v) {
        std::string s;
        for (int b : v) s.push_back(static_cast<char>(b));
        return s;
    };
    SafetensorsFile meta_only;
    meta_only.metadata["framework"] = "pt";
    EXPECT_EQ(serialize_safetensors(meta_only),
              bytes_of({40,  0,   0,   0,   0,   0,   0,   0,   123, 34,  95,  95,  109, 101, 116, 97,
                        100, 97,  116, 97,  95,  95,  34,  58,  123, 34,  102, 114, 97,  109, 101, 119,
                        111, 114, 107, 34,  58,  34,  112, 116, 34,  125, 125, 32,  32,  32,  32,  32}));

    SafetensorsFile one;
    one.add("attn0", make_tensor_f32({1, 1, 2, 3}, std::vector<float>{0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f}));
    EXPECT_EQ(serialize_safetensors(one),
              bytes_of({72,  0,   0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 48,  34,  58,  123,
                        34,  100, 116, 121, 112, 101, 34,  58,  34,  70,  51,  50,  34,  44,  34,  115, 104, 97,
                        112, 101, 34,  58,  91,  49,  44,  49,  44,  50,  44,  51,  93,  44,  34,  100, 97,  116,
                        97,  95,  111, 102, 102, 115, 101, 116, 115, 34,  58,  91,  48,  44,  50,  52,  93,  125,
                        125, 32,  32,  32,  32,  32,  32,  32,  0,   0,   0,   0,   0,   0,   128, 63,  0,   0,
                        0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64}));
}

TEST(Safetensors, DataIsAlwaysEightByteAligned) {
    for (int len = 1; len <= 24; ++len) {
        SafetensorsFile f;
        f.add(std::string(len, 'w'), make_tensor_f32({1}, std::vector<float>{1.0f}));
        const std::string bytes = serialize_safetensors(f);
        std::uint64_t n = 0;
        for (int i = 0; i < 8; ++i) n |= std::uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
        EXPECT_EQ((8 + n) % 8, 0u) << len;
        EXPECT_EQ(bytes.size(), 8 + n + 4);
    }
}

// Files written by other programs need not be padded, and tensors may appear in any order in the header.
TEST(Safetensors, AcceptsUnpaddedHeaderAndAnyHeaderOrder) {
    const std::string data = std::string("\x01\x00\x00\x00", 4) + std::string("\x02\x00\x00\x00", 4);
    const SafetensorsFile f = parse_safetensors(
        raw_file(R"({"y":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"x":{"data_offsets":[0,4],"shape":[1],)"
                 R"("dtype":"I32"}})",
                 data),
        "other");
    ASSERT_EQ(f.tensors.size(), 2u);
    EXPECT_EQ(f.tensors[0].first, "x");  // data order
    EXPECT_EQ(tensor_to_i32(*f.find("y"), "y"), (std::vector<std::int32_t>{2}));
    EXPECT_TRUE(parse_safetensors(raw_file(R"({"__metadata__":null})"), "other").metadata.empty());
    EXPECT_EQ(safetensors_dtype_size("BF16"), 2u);
    EXPECT_EQ(safetensors_dtype_size("F128"), 0u);
}

TEST(Safetensors, DtypeMismatchIsAnErrorUnlessConversionAsked) {
    const Tensor d = make_tensor_f64({2}, std::vector<double>{0.5, 1e40});
    try {
        tensor_to_f32(d, "'w' in model.safetensors");
        ADD_FAILURE() << "F64 read as F32 without asking";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("'w' in model.safetensors"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("F64"), std::string::npos) << e.what();
    }
    const std::vector<float> v = tensor_to_f32(d, "w", F64ToF32::allow);
    EXPECT_EQ(v[0], 0.5f);
    EXPECT_TRUE(std::isinf(v[1]));
    EXPECT_THROW(tensor_to_f64(make_tensor_f32({1}, std::vector<float>{1.0f}), "w"), FileError);
    EXPECT_THROW(tensor_to_i32(make_tensor_i64({1}, std::vector<std::int64_t>{1}), "w"), FileError);
    EXPECT_THROW(tensor_to_i64(make_tensor_i32({1}, std::vector<std::int32_t>{1}), "w"), FileError);
    // A hand-made tensor whose bytes do not match its shape is caught before copying.
    Tensor bad = make_tensor_f32({2}, std::vector<float>{1.0f, 2.0f});
    bad.data.pop_back();
    EXPECT_THROW(tensor_to_f32(bad, "w"), FileError);
    // A shape whose byte size overflows 64 bits must not wrap around to match empty data.
    const Tensor huge{"F64", {std::int64_t{1} << 62}, ""};
    EXPECT_THROW(tensor_to_f64(huge, "w"), FileError);
    SafetensorsFile f;
    f.tensors.emplace_back("huge", huge);
    EXPECT_THROW(serialize_safetensors(f), FileError);
}

TEST(Safetensors, RefusesToWriteInvalidContent) {
    EXPECT_THROW(make_tensor_f32({2, 2}, std::vector<float>{1.0f}), FileError);
    EXPECT_THROW(make_tensor_f32({-1}, std::vector<float>{}), FileError);

    SafetensorsFile f;
    f.add("a", make_tensor_f32({1}, std::vector<float>{1.0f}));
    EXPECT_THROW(f.add("a", make_tensor_f32({1}, std::vector<float>{1.0f})), FileError);
    EXPECT_THROW(f.add("__metadata__", make_tensor_f32({1}, std::vector<float>{1.0f})), FileError);

    auto expect_unsavable = [](SafetensorsFile file) {
        EXPECT_THROW(serialize_safetensors(file), FileError);
    };
    SafetensorsFile dup = f;
    dup.tensors.push_back(dup.tensors[0]);
    expect_unsavable(dup);
    SafetensorsFile dtype = f;
    dtype.tensors[0].second.dtype = "F128";
    expect_unsavable(dtype);
    SafetensorsFile size = f;
    size.tensors[0].second.data += "x";
    expect_unsavable(size);
    SafetensorsFile negative = f;
    negative.tensors[0].second.shape = {-1};
    expect_unsavable(negative);
    SafetensorsFile utf8 = f;
    utf8.metadata["bad"] = "\xff\xfe";
    expect_unsavable(utf8);

    // save_safetensors names the destination and writes nothing.
    const fs::path path = fs::temp_directory_path() / ("moelab_st_bad_" + std::to_string(::getpid()) + ".st");
    try {
        save_safetensors(path, dtype);
        ADD_FAILURE() << "saved an unknown dtype";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(path));
}

TEST(Safetensors, TruncationAtEveryLengthIsAFileError) {
    const std::string bytes = serialize_safetensors(sample_file());
    for (std::size_t len = 0; len < bytes.size(); ++len) {
        SCOPED_TRACE("length " + std::to_string(len));
        expect_corrupt(bytes.substr(0, len));
    }
    // One byte too many is as wrong as one too few.
    expect_corrupt(bytes + "x");
}

TEST(Safetensors, RandomHeaderCorruptionNeverCrashes) {
    const std::string good = serialize_safetensors(sample_file());
    std::uint64_t header_len = 0;
    for (int i = 0; i < 8; ++i) header_len |= std::uint64_t(static_cast<unsigned char>(good[i])) << (8 * i);
    const std::size_t header_end = 8 + header_len;

    std::mt19937 rng(12345);
    int parsed = 0;
    int refused = 0;
    for (int iter = 0; iter < 4000; ++iter) {
        std::string bytes = good;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) {
            const std::size_t pos = rng() % header_end;
            if (rng() % 2) bytes[pos] = static_cast<char>(bytes[pos] ^ (1u << (rng() % 8)));
            else bytes[pos] = static_cast<char>(rng() % 256);
        }
        try {
            const SafetensorsFile f = parse_safetensors(bytes, kName);
            // Whatever parsed must be self-consistent: it serializes and parses back to the same content.
            expect_same(f, parse_safetensors(serialize_safetensors(f), "again"));
            ++parsed;
        } catch (const FileError& e) {
            EXPECT_NE(std::string(e.what()).find(kName), std::string::npos) << e.what();
            ++refused;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "iteration " << iter << ": not a FileError: " << e.what();
        }
    }
    EXPECT_GT(refused, 0);
    EXPECT_EQ(parsed + refused, 4000);
}

TEST(Safetensors, EachCorruptionIsAFileErrorNamingTheProblem) {
    const std::string f32x2(8, '\0');
    auto one = [](const std::string& entry) { return R"({"a":)" + entry + "}"; };
    struct Case {
        const char* label;
        std::string bytes;
        const char* mentions;
    };
    const std::vector<Case> cases = {
        {"empty file", "", "shorter than"},
        {"7 bytes", std::string(7, '\0'), "shorter than"},
        {"header longer than file", le_u64(1000) + "{}", "follow the length"},
        {"absurd header length", le_u64(~std::uint64_t{0}) + "{}", "limit"},
        {"header over the cap", le_u64(200'000'000) + "{}", "limit"},
        {"zero header length", le_u64(0), "JSON"},
        {"not JSON", raw_file("{not json"), "JSON"},
        {"invalid UTF-8", raw_file("{\"\xff\":1}"), "JSON"},
        {"NUL in header", raw_file(std::string("{}\0", 3)), "NUL"},
        {"NUL then junk", raw_file(std::string("{}\0{\"a\":5}", 10)), "NUL"},
        {"array header", raw_file("[1,2]"), "not a JSON object"},
        {"string header", raw_file(R"("x")"), "not a JSON object"},
        {"entry not object", raw_file(one("5")), "not a JSON object"},
        {"missing dtype", raw_file(one(R"({"shape":[2],"data_offsets":[0,8]})"), f32x2), "no dtype"},
        {"missing shape", raw_file(one(R"({"dtype":"F32","data_offsets":[0,8]})"), f32x2), "no shape"},
        {"missing offsets", raw_file(one(R"({"dtype":"F32","shape":[2]})"), f32x2), "no data_offsets"},
        {"dtype not string", raw_file(one(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"), f32x2), "dtype"},
        {"unknown dtype", raw_file(one(R"({"dtype":"F128","shape":[2],"data_offsets":[0,8]})"), f32x2), "F128"},
        {"shape not list", raw_file(one(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"), f32x2), "shape"},
        {"shape float", raw_file(one(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"shape string", raw_file(one(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"negative shape", raw_file(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"shape above int64",
         raw_file(one(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"shape overflows",
         raw_file(one(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"shape beyond u64", raw_file(one(R"({"dtype":"F32","shape":[1e30],"data_offsets":[0,8]})"), f32x2), "shape"},
        {"offsets one number", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8]})"), f32x2),
         "data_offsets"},
        {"offsets three numbers", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,8]})"), f32x2),
         "data_offsets"},
        {"offsets strings", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":["0","8"]})"), f32x2),
         "data_offsets"},
        {"offsets negative", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), f32x2),
         "data_offsets"},
        {"offsets reversed", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), f32x2),
         "end before"},
        {"end past buffer", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), "1234"), "only 4"},
        {"huge end", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]})"), f32x2),
         "data is only"},
        {"size mismatch", raw_file(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), f32x2), "need 12"},
        {"size not multiple", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,7]})"), f32x2.substr(1)),
         "7 bytes"},
        {"unknown field", raw_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})"), f32x2),
         "unknown field"},
        {"overlap",
         raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  std::string(12, '\0')),
         "overlaps"},
        {"same range twice",
         raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                  f32x2),
         "overlaps"},
        {"hole",
         raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                  std::string(12, '\0')),
         "belong to no tensor"},
        {"not starting at 0", raw_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), f32x2),
         "belong to no tensor"},
        {"trailing data", raw_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), f32x2),
         "cover only 4"},
        {"data with no tensors", raw_file("{}", "xx"), "cover only 0"},
        {"duplicate names",
         raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                  f32x2),
         "'a' twice"},
        {"duplicate field", raw_file(one(R"({"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]})"), f32x2),
         "'dtype' twice"},
        {"metadata not object", raw_file(R"({"__metadata__":["a"]})"), "__metadata__"},
        {"metadata string", raw_file(R"({"__metadata__":"config"})"), "__metadata__"},
        {"metadata number", raw_file(R"({"__metadata__":{"k":1}})"), "'k' is not a string"},
        {"metadata null", raw_file(R"({"__metadata__":{"k":null}})"), "'k' is not a string"},
        {"metadata nested", raw_file(R"({"__metadata__":{"k":{"x":"y"}}})"), "'k' is not a string"},
        {"deep nesting", raw_file(std::string(100000, '[') + std::string(100000, ']')), "nested too deeply"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.label);
        const std::string msg = expect_corrupt(c.bytes);
        EXPECT_NE(msg.find(c.mentions), std::string::npos) << msg;
    }
}

TEST(Safetensors, LongListsAreRefused) {
    std::string shape;
    for (int i = 0; i < 5000; ++i) shape += (i ? ",1" : "1");
    const std::string msg =
        expect_corrupt(raw_file(R"({"a":{"dtype":"F32","data_offsets":[0,4],"shape":[)" + shape + "]}}", "abcd"));
    EXPECT_NE(msg.find("more than"), std::string::npos) << msg;
}

TEST(Safetensors, LoadNamesTheFile) {
    const fs::path path = fs::temp_directory_path() / ("moelab_st_trunc_" + std::to_string(::getpid()) + ".st");
    write_file_atomic(path, serialize_safetensors(sample_file()).substr(0, 20));
    try {
        load_safetensors(path);
        ADD_FAILURE() << "loaded a truncated file";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
    fs::remove(path);
    try {
        load_safetensors(path);
        ADD_FAILURE() << "loaded a missing file";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace moe
