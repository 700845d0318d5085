#pragma once

namespace moe {

// The MoE Lab version, written into run folders and checkpoints.
const char* version_string();

}  // namespace moe
