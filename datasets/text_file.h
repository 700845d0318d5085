// A user's text file as a one-domain byte dataset.
#pragma once

#include "datasets/byte_dataset.h"

#include <cstdint>
#include <memory>
#include <string>

namespace moe {

// The file's bytes, as they are (no decoding, no newline conversion). Throws DataError naming the file when it
// is not given, missing, a directory, unreadable or empty.
std::string read_text_file(const std::string& path);

// One domain named after the file's base name. A file whose validation split would hold fewer than 2 bytes is
// rejected here with DataError; whether a split holds a whole sequence depends on seq_len, which is known only
// when a batch is drawn, so train_batch / val_batch throw DataError (naming the file) for a file too short for it.
std::unique_ptr<ByteDataset> make_text_dataset(const std::string& path, double val_fraction, uint64_t seed);

}  // namespace moe
