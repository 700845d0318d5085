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
// A broken internal invariant (a layer given mismatched shapes by the model, a backward pass without its forward,
// ...): a programming bug, not something a setting or a file can fix. Not a ConfigError, so it is never shown as
// "configuration error"; the CLI exits with its own code (70, EX_SOFTWARE).
struct InternalError : Error {
    explicit InternalError(const std::string& what)
        : Error("internal error: " + what + " \u2014 this is a bug in MoE Lab, please report it") {}
};

}  // namespace moe
