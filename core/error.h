// Errors the engine reports to a person: each message names the problem and what to do about it.
// The CLI prints what() and exits non-zero; the GUI shows it next to the control or in a dialog.
#pragma once

#include <stdexcept>
#include <string>

namespace moe {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// An impossible or unknown setting (top-k > experts, unknown key, malformed JSON, ...).
struct ConfigError : Error {
    using Error::Error;
};
// A dataset that cannot be read or is unusable (missing or empty file, ...).
struct DataError : Error {
    using Error::Error;
};
// A checkpoint or run file that cannot be read (truncated, corrupt, wrong model).
struct FileError : Error {
    using Error::Error;
};
// Training cannot go on (NaN/inf loss, ...).
struct TrainingError : Error {
    using Error::Error;
};

}  // namespace moe
