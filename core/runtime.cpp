#include "core/runtime.h"

#include <malloc.h>

namespace moe {

void configure_allocator() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);  // serve large buffers from the heap, not fresh mappings
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);  // and do not hand the heap's top back after each step
#endif
}

}  // namespace moe
