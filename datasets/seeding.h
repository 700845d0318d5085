// Seeds of the random streams a dataset draws from. Each is a pure function of (dataset seed, stream, index), so
// batch 17 is the same whether or not batches 0..16 were drawn, and two models trained side by side see the same
// data. Internal to datasets/.
#pragma once

#include <cstdint>

namespace moe::data_detail {

enum class Stream : uint64_t {
    train_batches = 1,
    val_batches = 2,
    toy_shape = 3,  // where a 2-D point lies before noise
    toy_noise = 4,  // its noise, a stream of its own so that changing the noise level moves points, not classes
    toy_split = 5,  // the shuffle of the train/validation split
};

inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Each input goes through the mixer before the next is folded in, so (seed, stream, index) triples that differ in
// any part give unrelated seeds (a plain xor would make (s, 1, 2) and (s, 2, 1) collide).
inline uint64_t stream_seed(uint64_t seed, Stream stream, uint64_t index = 0) {
    uint64_t h = mix64(seed + 0x9E3779B97F4A7C15ull);
    h = mix64(h ^ (static_cast<uint64_t>(stream) * 0xD1B54A32D192ED03ull));
    return mix64(h ^ (index + 0x8CB92BA72F3D8DD7ull));
}

}  // namespace moe::data_detail
