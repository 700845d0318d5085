// SwiGLU feed-forward on the device, as core/layers/swiglu.{h,cpp}: y = down(silu(gate(x)) * up(x)), no biases.
// Weights in the Hugging Face layout: Wg, Wu [I,d], Wd [d,I]; x, y, dy, dx [n,d]; a, b, h [n,I] row-major.
// The dense FFN, the shared expert and each routed expert (on its contiguous block of permuted rows, n may be 0)
// all run through here. The products are dev.gemm calls; only the activation is a kernel.
#pragma once

#include "gpu/kernels/gemm_desc.h"
#include "gpu/kernels/portable.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace moe::gpu {

namespace kernels {

// h = silu(a) * b with silu(a) = a * sigmoid(a), evaluated as (a * s) * b like the CPU.
struct SwigluAct {
    const float* a;
    const float* b;
    float* h;
    MOE_HD void operator()(int64_t i) const { h[i] = a[i] * fsigmoid(a[i]) * b[i]; }
};

// From dh: db = dh * silu(a), da = dh * b * silu'(a), silu'(a) = s (1 + a (1 - s)), s = sigmoid(a).
// da may alias dh (each index reads dh[i] before writing da[i]).
struct SwigluActBackward {
    const float* a;
    const float* b;
    const float* dh;
    float* da;
    float* db;
    MOE_HD void operator()(int64_t i) const {
        const float s = fsigmoid(a[i]);
        const float g = dh[i];
        db[i] = g * (a[i] * s);
        da[i] = g * b[i] * (s * (1.0f + a[i] * (1.0f - s)));
    }
};

}  // namespace kernels

// h = silu(a) * b, count elements.
template <class Dev>
void swiglu_act_forward(Dev& dev, const float* a, const float* b, int64_t count, float* h) {
    dev.launch(count, kernels::SwigluAct{a, b, h});
}

// da = dh * b * silu'(a), db = dh * silu(a), count elements (overwritten).
template <class Dev>
void swiglu_act_backward(Dev& dev, const float* a, const float* b, const float* dh, int64_t count, float* da,
                         float* db) {
    dev.launch(count, kernels::SwigluActBackward{a, b, dh, da, db});
}

// Between forward and backward: a = x Wg^T, b = x Wu^T, h = silu(a) * b (all [n,I]); da, db, dh are the backward's
// scratch. The forward grows every buffer to n*I (never shrinks, so an expert whose row count changes every step
// does not reallocate each time); the first n*I elements are the live ones. A backward must be given the
// workspace its own forward filled (one workspace per FFN / expert).
template <class Dev>
struct SwigluWorkspace {
    typename Dev::template Buffer<float> a, b, h, da, db, dh;
};

namespace detail {

template <class Buf>
void swiglu_grow(Buf& buf, int64_t count) {
    if (buf.size() < static_cast<size_t>(count)) buf.resize(static_cast<size_t>(count));
}

}  // namespace detail

// y [n,d] = beta * y + down(silu(x Wg^T) * (x Wu^T)). beta = 0: y is not read. n = 0: nothing happens.
template <class Dev>
void swiglu_forward(Dev& dev, const float* x, int64_t n, int d, int I, const float* Wg, const float* Wu,
                    const float* Wd, SwigluWorkspace<Dev>& ws, float* y, float beta = 0.0f) {
    if (n <= 0) return;
    const int64_t count = n * I;
    for (auto* buf : {&ws.a, &ws.b, &ws.h, &ws.da, &ws.db, &ws.dh}) detail::swiglu_grow(*buf, count);
    const int rows = static_cast<int>(n);
    dev.gemm(gemm_nt(rows, I, d, x, Wg, ws.a.data()));           // a = x Wg^T
    dev.gemm(gemm_nt(rows, I, d, x, Wu, ws.b.data()));           // b = x Wu^T
    swiglu_act_forward(dev, ws.a.data(), ws.b.data(), count, ws.h.data());
    dev.gemm(gemm_nt(rows, d, I, ws.h.data(), Wd, y, beta));     // y = beta y + h Wd^T
}

// dx [n,d] = dx_beta * dx + (da Wg + db Wu) (dx_beta = 0: dx is not read); dWg, dWu [I,d] and dWd [d,I] accumulated.
// ws from swiglu_forward on the same x. n = 0: nothing happens (no gradient to add).
template <class Dev>
void swiglu_backward(Dev& dev, const float* x, int64_t n, int d, int I, const float* Wg, const float* Wu,
                     const float* Wd, SwigluWorkspace<Dev>& ws, const float* dy, float* dx, float* dWg, float* dWu,
                     float* dWd, float dx_beta = 0.0f) {
    if (n <= 0) return;
    const int64_t count = n * I;
    for (auto* buf : {&ws.da, &ws.db, &ws.dh}) detail::swiglu_grow(*buf, count);
    const int rows = static_cast<int>(n);
    float* dh = ws.dh.data();
    float* da = ws.da.data();
    float* db = ws.db.data();
    dev.gemm(gemm_nn(rows, I, d, dy, Wd, dh));                   // dh = dy Wd
    dev.gemm(gemm_tn(d, I, rows, dy, ws.h.data(), dWd));         // dWd += dy^T h
    swiglu_act_backward(dev, ws.a.data(), ws.b.data(), dh, count, da, db);
    dev.gemm(gemm_nn(rows, d, I, da, Wg, dx, dx_beta));          // dx = dx_beta dx + da Wg
    dev.gemm(gemm_nn(rows, d, I, db, Wu, dx, 1.0f));             //    + db Wu
    dev.gemm(gemm_tn(I, d, rows, da, x, dWg));                   // dWg += da^T x
    dev.gemm(gemm_tn(I, d, rows, db, x, dWu));                   // dWu += db^T x
}

}  // namespace moe::gpu
