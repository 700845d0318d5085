// A trainable tensor with its gradient and AdamW state, and the name it has in a checkpoint.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

struct Param {
    // Checkpoint name (Hugging Face DeepSeek names). For stacked routed experts it holds "{e}" where the expert
    // index goes, and `stacked` experts are split into row blocks of rows()/stacked on save.
    std::string name;
    std::vector<int64_t> shape;  // the shape in the checkpoint (a norm weight is [d], stored here as [1,d])
    int stacked = 0;
    bool decay = true;  // AdamW weight decay (off for norms and biases)
    // False for a tensor the optimiser leaves alone (noaux_tc's selection bias, moved by its own rule): saved and
    // loaded like the others, initialised to zero, never updated by AdamW.
    bool trained = true;
    Mat w, g, m, v;

    void init_zero_state() {
        g.setZero(w.rows(), w.cols());
        m.setZero(w.rows(), w.cols());
        v.setZero(w.rows(), w.cols());
    }
};

}  // namespace moe
