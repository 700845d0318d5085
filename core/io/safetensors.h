// A small, strict reader and writer for the safetensors format (the format Hugging Face checkpoints use), so MoE Lab
// checkpoints open directly in PyTorch, NumPy or pandas with the `safetensors` package.
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the data buffer. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the start of the data buffer)
// plus an optional "__metadata__" object of string -> string. Tensor data is row-major little-endian, laid out
// contiguously with no gaps or overlaps, and the buffer ends exactly at the last tensor.
//
// Writing: tensors are stored in the order given (header and data alike), "__metadata__" first when not empty, and
// the header is padded with spaces so the data starts at a multiple of 8 bytes, as the reference writer does.
// Reading: every rule above is checked; anything malformed is a FileError that names the file and the problem, never
// a crash or an out-of-range read. Parsed tensors come back in data order (for files written here: the order given).
//
// Every function here reports failure as moe::FileError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moe {

// Bytes per element of a safetensors dtype ("F32" -> 4, "BF16" -> 2, "BOOL" -> 1), or 0 for an unknown name.
std::size_t safetensors_dtype_size(std::string_view dtype);

// One tensor as stored: a dtype name, a shape ([] is a scalar, a 0 anywhere makes it empty) and the raw
// little-endian row-major bytes.
struct Tensor {
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::string data;

    // Number of elements: the product of the shape (1 for a scalar). Throws FileError on a negative or overflowing
    // shape.
    std::int64_t numel() const;
};

// Build a tensor from values in row-major order; values.size() must equal the product of the shape.
Tensor make_tensor_f32(std::vector<std::int64_t> shape, std::span<const float> values);
Tensor make_tensor_f64(std::vector<std::int64_t> shape, std::span<const double> values);
Tensor make_tensor_i32(std::vector<std::int64_t> shape, std::span<const std::int32_t> values);
Tensor make_tensor_i64(std::vector<std::int64_t> shape, std::span<const std::int64_t> values);

// Whether tensor_to_f32 may narrow an F64 tensor. Off by default so that a checkpoint saved in another precision is
// noticed instead of silently rounded.
enum class F64ToF32 { reject, allow };

// Read a tensor's values back. A dtype other than the one asked for is a FileError naming `what` (e.g.
// "'model.layers.0.mlp.gate.weight' in run/checkpoint.safetensors"); only F64 -> F32 converts, and only when allowed.
std::vector<float> tensor_to_f32(const Tensor& t, std::string_view what, F64ToF32 conversion = F64ToF32::reject);
std::vector<double> tensor_to_f64(const Tensor& t, std::string_view what);
std::vector<std::int32_t> tensor_to_i32(const Tensor& t, std::string_view what);
std::vector<std::int64_t> tensor_to_i64(const Tensor& t, std::string_view what);

struct SafetensorsFile {
    std::map<std::string, std::string> metadata;                // "__metadata__"; the engine keeps its config here
    std::vector<std::pair<std::string, Tensor>> tensors;        // stored in this order

    // The tensor with this name, or nullptr.
    const Tensor* find(std::string_view name) const;
    // Appends a tensor; a name that is already present (or "__metadata__") is a FileError.
    void add(std::string name, Tensor tensor);
};

// The complete file content. Throws FileError if the content cannot be stored: unknown dtype, negative shape, data
// size not matching the shape, duplicate or reserved names, names or metadata that are not valid UTF-8.
std::string serialize_safetensors(const SafetensorsFile& file);

// Parses and validates a whole file held in memory; `what` names it in error messages (usually its path).
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& what);

// serialize_safetensors + write_file_atomic: an existing file is replaced only by a complete new one.
void save_safetensors(const std::filesystem::path& path, const SafetensorsFile& file);

// read_file + parse_safetensors.
SafetensorsFile load_safetensors(const std::filesystem::path& path);

}  // namespace moe
