#include "core/version.h"

namespace moe {

const char* version_string() { return "0.1.0"; }

}  // namespace moe
