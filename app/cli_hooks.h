// How the command line runs a training: on the device named by --device, with progress lines on stderr.
#pragma once

#include "core/train/run.h"

#include <string>

namespace moe::cli {

// device: cpu | cuda | auto | emulated (gpu/gpu_backend.h); each progress line starts with `tag`.
RunHooks cli_run_hooks(const std::string& device, bool quiet, const std::string& tag = "");

}  // namespace moe::cli
