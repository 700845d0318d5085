// Reading a user's text file.
#include "datasets/text_file.h"

#include "core/error.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace moe {
namespace {

std::string quoted(const std::string& path) { return "text file \"" + path + "\""; }

}  // namespace

std::string read_text_file(const std::string& path) {
    namespace fs = std::filesystem;
    if (path.empty()) {
        throw DataError("dataset \"text\" needs a text file: give a UTF-8 or ASCII text file (--data FILE)");
    }
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        throw DataError(quoted(path) + " does not exist: check the path, or give another text file (--data FILE)");
    }
    if (fs::is_directory(status)) {
        throw DataError(quoted(path) + " is a directory: give a UTF-8 or ASCII text file (--data FILE)");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw DataError(quoted(path) + " cannot be opened for reading: check its permissions (--data FILE)");
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw DataError(quoted(path) + " could not be read to the end: check the file (--data FILE)");
    if (bytes.empty()) {
        throw DataError(quoted(path) + " is empty: give a UTF-8 or ASCII text file with some text (--data FILE)");
    }
    return bytes;
}

std::unique_ptr<ByteDataset> make_text_dataset(const std::string& path, double val_fraction, uint64_t seed) {
    std::string bytes = read_text_file(path);
    std::string name = std::filesystem::path(path).filename().string();
    if (name.empty()) name = path;
    // The smallest file whose validation split holds an input byte and its target.
    const auto minimum = static_cast<size_t>(std::ceil(2.0 / val_fraction)) + 1;
    if (bytes.size() < minimum) {
        const std::string what_to_do = "give a longer text file (--data FILE), at least " + std::to_string(minimum) +
                                       " bytes, and about (seq_len + 1) / val_fraction bytes to train on seq_len";
        throw DataError(quoted(path) + " has only " + std::to_string(bytes.size()) +
                        " bytes, too few to split into training and validation text: " + what_to_do);
    }
    ByteDataset::Source source{"text file", "give a longer text file (--data FILE)"};
    return std::make_unique<ByteDataset>("text", std::vector<TextDomain>{{name, std::move(bytes)}}, val_fraction, seed,
                                         std::move(source));
}

}  // namespace moe
