// The whole training step on a device, written once for both devices (EmulatedDevice, CudaDevice): the same
// sequence of ops as the CPU models (core/model/language_model.cpp, classifier_model.cpp), each a gpu/ops/ call,
// with every activation, gradient and AdamW moment resident on the device between steps. Per step the host sends
// the batch and gets back one small record (loss, balance loss, accuracy count, gradient norm and every MoE layer's
// routing statistics) — one transfer, as the MoE layers' expert row counts are the only other thing read back.
#pragma once

#include "gpu/engine/model_layout.h"
#include "gpu/ops/adamw.h"
#include "gpu/ops/attention.h"
#include "gpu/ops/bias.h"
#include "gpu/ops/cross_entropy.h"
#include "gpu/ops/elementwise.h"
#include "gpu/ops/embedding.h"
#include "gpu/ops/moe_layer.h"
#include "gpu/ops/reduce.h"
#include "gpu/ops/rmsnorm.h"
#include "gpu/ops/routing_stats.h"
#include "gpu/ops/swiglu.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace moe::gpu {

namespace kernels {

// out += (double) sum of n ints, in order; a single index (n is one batch's rows).
struct SumInts {
    const int32_t* x;
    int64_t n;
    double* out;
    MOE_HD void operator()(int64_t) const {
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) s += x[i];
        *out += s;
    }
};

struct AddScalar {
    const double* src;
    double* dst;
    MOE_HD void operator()(int64_t) const { *dst += *src; }
};

}  // namespace kernels

template <class Dev>
class DeviceModel final : public DeviceModelApi {
    template <class T>
    using Buf = typename Dev::template Buffer<T>;

public:
    explicit DeviceModel(ModelLayout layout) : L_(std::move(layout)), p_(L_.params.size()), blocks_(L_.blocks.size()) {
        for (size_t i = 0; i < p_.size(); ++i) {
            const auto n = static_cast<size_t>(L_.params[i].size());
            p_[i].w.resize(n);
            p_[i].g.resize(n);
            p_[i].m.resize(n);
            p_[i].v.resize(n);
        }
        sumsq_.resize(p_.size());
        clip_.resize(2);
    }

    const char* device_name() const override { return Dev::name(); }
    Dev& device() { return dev_; }

    void upload(const std::vector<const float*>& w, const std::vector<const float*>& m,
                const std::vector<const float*>& v) override {
        for (size_t i = 0; i < p_.size(); ++i) {
            dev_.upload(p_[i].w.data(), w[i], p_[i].w.size());
            dev_.upload(p_[i].m.data(), m[i], p_[i].m.size());
            dev_.upload(p_[i].v.data(), v[i], p_[i].v.size());
        }
    }

    void download(const std::vector<float*>& w, const std::vector<float*>& m, const std::vector<float*>& v) override {
        for (size_t i = 0; i < p_.size(); ++i) {
            if (!w.empty()) dev_.download(w[i], p_[i].w.data(), p_[i].w.size());
            if (!m.empty()) dev_.download(m[i], p_[i].m.data(), p_[i].m.size());
            if (!v.empty()) dev_.download(v[i], p_[i].v.data(), p_[i].v.size());
        }
    }

    DeviceStepResult forward_backward(const BatchView& batch) override {
        const size_t record = record_size(batch.n_domains);
        ensure(metrics_, record);
        dev_.zero(metrics_.data(), record);
        for (auto& p : p_) dev_.zero(p.g.data(), p.g.size());
        forward(batch);
        routing_stats(batch);
        backward();
        for (size_t i = 0; i < p_.size(); ++i) sum_.sum_squares(dev_, p_[i].g.data(), p_[i].g.size(), sumsq_.data() + i);
        sum_.sum_doubles(dev_, sumsq_.data(), static_cast<int64_t>(p_.size()), metrics_.data() + kSumSquares);

        std::vector<double> host(record);
        dev_.download(host.data(), metrics_.data(), record);  // the step's one read-back
        DeviceStepResult r;
        r.rows = rows_;
        r.loss = host[kLossSum] / static_cast<double>(rows_);
        r.aux_loss = host[kAux];
        r.correct = static_cast<int64_t>(host[kCorrect]);
        r.grad_norm = std::sqrt(host[kSumSquares]);
        size_t at = kHeader;
        for (const auto& b : L_.blocks) {
            if (!b.moe) continue;
            const size_t n = RoutingStatsLayout::size(b.moe_dims, batch.n_domains);
            r.routing.emplace_back(host.begin() + at, host.begin() + at + n);
            at += n;
        }
        return r;
    }

    void download_grads(const std::vector<float*>& g) override {
        for (size_t i = 0; i < p_.size(); ++i) dev_.download(g[i], p_[i].g.data(), p_[i].g.size());
    }

    std::vector<float> download_logits() override {
        std::vector<float> out(logits_.size());
        dev_.download(out.data(), logits_.data(), out.size());
        return out;
    }

    void apply_update(double lr, int t, const AdamWSettings& s) override {
        // The clip factor is computed on the device from the same sum of squares the norm came from.
        clip_scale_from_sum_squares(dev_, metrics_.data() + kSumSquares, s.grad_clip, clip_.data(), clip_.data() + 1);
        AdamWStep step{};
        step.lr = static_cast<float>(lr);
        step.beta1 = static_cast<float>(s.beta1);
        step.beta2 = static_cast<float>(s.beta2);
        step.eps = static_cast<float>(s.eps);
        step.bias_c1 = static_cast<float>(1.0 - std::pow(s.beta1, t));
        step.bias_c2 = static_cast<float>(1.0 - std::pow(s.beta2, t));
        for (size_t i = 0; i < p_.size(); ++i) {
            if (!L_.params[i].trained) continue;
            step.weight_decay = L_.params[i].decay ? static_cast<float>(s.weight_decay) : 0.0f;
            adamw_update(dev_, p_[i].w.data(), p_[i].g.data(), p_[i].m.data(), p_[i].v.data(),
                         static_cast<int64_t>(p_[i].w.size()), step, clip_.data() + 1);
        }
        // noaux_tc: each MoE layer's selection bias moves towards equal loads, counted from the expert offsets of
        // the step's forward pass (the CPU engine's FfnLayer::update_selection_bias, after its AdamW step).
        for (size_t l = 0; l < blocks_.size(); ++l) {
            const BlockLayout& bl = L_.blocks[l];
            if (!bl.moe || bl.gate_bias < 0) continue;
            const RouterDims& r = bl.moe_dims.router;
            dev_.launch(r.n_routed, kernels::RouterBiasUpdate{w(bl.gate_bias), blocks_[l].moe.offsets.data(),
                                                              rows_ * r.top_k, r.n_routed,
                                                              static_cast<float>(r.bias_update_rate)});
        }
    }

    double loss(const BatchView& batch) override {
        if (metrics_.size() < kHeader) metrics_.resize(kHeader);
        dev_.zero(metrics_.data(), kHeader);
        forward(batch);
        double sum = 0.0;
        dev_.download(&sum, metrics_.data() + kLossSum, 1);
        return sum / static_cast<double>(rows_);
    }

private:
    // The step record: a header, then each MoE layer's routing record.
    enum : size_t { kLossSum = 0, kAux = 1, kCorrect = 2, kSumSquares = 3, kHeader = 4 };

    struct ParamBuffers {
        Buf<float> w, g, m, v;
    };
    struct Block {
        Buf<float> x_in, h1, attn_out, x_mid, h2, ffn_out, rstd1, rstd2;
        AttentionWorkspace<Dev> attn;
        SwigluWorkspace<Dev> dense;
        MoEWorkspace<Dev> moe;
        MoEDims dims;  // with this batch's router batch/seq
    };

    template <class T>
    static void ensure(Buf<T>& b, size_t n) {
        if (b.size() != n) b.resize(n);
    }
    float* w(int i) { return p_[i].w.data(); }
    float* g(int i) { return p_[i].g.data(); }

    size_t record_size(int n_domains) const {
        size_t n = kHeader;
        for (const auto& b : L_.blocks)
            if (b.moe) n += RoutingStatsLayout::size(b.moe_dims, n_domains);
        return n;
    }

    AttentionDims attention_dims() const {
        AttentionDims a;
        a.batch = batch_;
        a.seq = seq_;
        a.heads = L_.heads;
        a.d = L_.hidden;
        a.rope = L_.rope;
        a.rope_theta = L_.rope_theta;
        return a;
    }

    // The MoE layer's weight (or gradient) pointers: `at(i)` gives parameter i's buffer.
    template <class Ptrs, class At>
    static Ptrs moe_pointers(const BlockLayout& b, At at) {
        Ptrs p{};
        p.gate = at(b.router);
        p.w_gate = at(b.w_gate);
        p.w_up = at(b.w_up);
        p.w_down = at(b.w_down);
        if (b.s_gate >= 0) p.s_gate = at(b.s_gate), p.s_up = at(b.s_up), p.s_down = at(b.s_down);
        return p;
    }
    MoEWeightPtrs moe_weights(const BlockLayout& b) {
        MoEWeightPtrs p = moe_pointers<MoEWeightPtrs>(b, [this](int i) { return w(i); });
        if (b.gate_bias >= 0) p.gate_bias = w(b.gate_bias);
        return p;
    }
    MoEGradPtrs moe_grads(const BlockLayout& b) {
        return moe_pointers<MoEGradPtrs>(b, [this](int i) { return g(i); });
    }

    void upload_batch(const BatchView& bv) {
        batch_ = bv.batch;
        seq_ = L_.language ? bv.seq : 1;
        rows_ = bv.rows();
        const auto n = static_cast<size_t>(rows_);
        ensure(targets_, n);
        dev_.upload(targets_.data(), bv.targets, n);
        if (L_.language) {
            ensure(inputs_, n);
            dev_.upload(inputs_.data(), bv.inputs, n);
            if (L_.pos >= 0) {
                std::vector<int32_t> positions(n);
                for (size_t i = 0; i < n; ++i) positions[i] = static_cast<int32_t>(i % static_cast<size_t>(seq_));
                ensure(positions_, n);
                dev_.upload(positions_.data(), positions.data(), n);
            }
        } else {
            ensure(points_, n * 2);
            dev_.upload(points_.data(), bv.points, n * 2);
        }
        ensure(domains_, n);
        if (bv.domains) dev_.upload(domains_.data(), bv.domains, n);
    }

    // The CPU model's forward, op for op (x_ ends as the final residual stream).
    void forward(const BatchView& bv) {
        upload_batch(bv);
        const int64_t N = rows_;
        const int d = L_.hidden, V = L_.outputs;
        const auto nd = static_cast<size_t>(N) * d;
        ensure(x_, nd);
        if (L_.language) {
            embedding_forward(dev_, w(L_.embed), inputs_.data(), N, d, x_.data());
            if (L_.pos >= 0) {
                ensure(tmp_, nd);
                embedding_forward(dev_, w(L_.pos), positions_.data(), N, d, tmp_.data());
                add_into(dev_, x_.data(), tmp_.data(), static_cast<int64_t>(nd));
            }
        } else {
            dev_.gemm(gemm_nt(static_cast<int>(N), d, 2, points_.data(), w(L_.in_w), x_.data()));
            add_bias_rows(dev_, x_.data(), w(L_.in_b), N, d);
        }
        for (size_t l = 0; l < blocks_.size(); ++l) {
            const BlockLayout& bl = L_.blocks[l];
            Block& b = blocks_[l];
            for (auto* buf : {&b.x_in, &b.h2, &b.ffn_out}) ensure(*buf, nd);
            ensure(b.rstd2, static_cast<size_t>(N));
            dev_.copy(b.x_in.data(), x_.data(), nd);
            const float* stream = b.x_in.data();  // the residual stream entering the FFN half
            if (L_.language) {
                for (auto* buf : {&b.h1, &b.attn_out, &b.x_mid}) ensure(*buf, nd);
                ensure(b.rstd1, static_cast<size_t>(N));
                rmsnorm_forward(dev_, b.x_in.data(), w(bl.ln1), L_.eps, N, d, b.h1.data(), b.rstd1.data());
                attention_forward(dev_, attention_dims(), b.h1.data(), w(bl.q), w(bl.k), w(bl.v), w(bl.o), b.attn,
                                  b.attn_out.data());
                add(dev_, b.x_in.data(), b.attn_out.data(), b.x_mid.data(), static_cast<int64_t>(nd));
                stream = b.x_mid.data();
            }
            rmsnorm_forward(dev_, stream, w(bl.ln2), L_.eps, N, d, b.h2.data(), b.rstd2.data());
            if (bl.moe) {
                b.dims = bl.moe_dims;
                // Rows are b*T + t; the classifier's points form one sequence (as the CPU model passes them).
                b.dims.router.batch = L_.language ? batch_ : 1;
                b.dims.router.seq = L_.language ? seq_ : batch_;
                moe_forward(dev_, b.dims, moe_weights(bl), b.h2.data(), N, b.moe, b.ffn_out.data());
                dev_.launch(1, kernels::AddScalar{b.moe.router.aux.data(), metrics_.data() + kAux});
            } else {
                swiglu_forward(dev_, b.h2.data(), N, d, bl.inter, w(bl.w_gate), w(bl.w_up), w(bl.w_down), b.dense,
                               b.ffn_out.data());
            }
            add(dev_, stream, b.ffn_out.data(), x_.data(), static_cast<int64_t>(nd));
        }
        ensure(hn_, nd);
        ensure(rstd_final_, static_cast<size_t>(N));
        rmsnorm_forward(dev_, x_.data(), w(L_.norm), L_.eps, N, d, hn_.data(), rstd_final_.data());
        const auto nv = static_cast<size_t>(N) * V;
        for (auto* buf : {&logits_, &probs_}) ensure(*buf, nv);
        dev_.gemm(gemm_nt(static_cast<int>(N), V, d, hn_.data(), w(L_.head), logits_.data()));
        if (L_.head_b >= 0) add_bias_rows(dev_, logits_.data(), w(L_.head_b), N, V);
        ensure(row_loss_, static_cast<size_t>(N));
        ensure(row_correct_, static_cast<size_t>(N));
        cross_entropy_forward(dev_, logits_.data(), targets_.data(), N, V, probs_.data(), row_loss_.data(),
                              row_correct_.data());
        sum_.sum(dev_, row_loss_.data(), N, metrics_.data() + kLossSum);
        dev_.launch(1, kernels::SumInts{row_correct_.data(), N, metrics_.data() + kCorrect});
    }

    void routing_stats(const BatchView& bv) {
        size_t at = kHeader;
        for (size_t l = 0; l < blocks_.size(); ++l) {
            const BlockLayout& bl = L_.blocks[l];
            if (!bl.moe) continue;
            routing_stats_forward(dev_, blocks_[l].dims, blocks_[l].moe, rows_, bv.domains ? domains_.data() : nullptr,
                                  bv.n_domains, metrics_.data() + at, bl.gate_bias >= 0 ? w(bl.gate_bias) : nullptr);
            at += RoutingStatsLayout::size(bl.moe_dims, bv.n_domains);
        }
    }

    // The CPU model's backward, op for op; parameter gradients accumulate into the zeroed g buffers.
    void backward() {
        const int64_t N = rows_;
        const int d = L_.hidden, V = L_.outputs;
        const auto nd = static_cast<size_t>(N) * d;
        ensure(dlogits_, static_cast<size_t>(N) * V);
        for (auto* buf : {&dhn_, &dx_, &dh_, &dpart_}) ensure(*buf, nd);
        cross_entropy_backward(dev_, probs_.data(), targets_.data(), N, V, 1.0f, dlogits_.data());
        if (L_.head_b >= 0) bias_grad(dev_, dlogits_.data(), N, V, g(L_.head_b));
        dev_.gemm(gemm_nn(static_cast<int>(N), d, V, dlogits_.data(), w(L_.head), dhn_.data()));
        dev_.gemm(gemm_tn(V, d, static_cast<int>(N), dlogits_.data(), hn_.data(), g(L_.head)));
        rmsnorm_backward(dev_, x_.data(), w(L_.norm), rstd_final_.data(), dhn_.data(), N, d, dx_.data(), g(L_.norm));
        for (size_t l = blocks_.size(); l-- > 0;) {
            const BlockLayout& bl = L_.blocks[l];
            Block& b = blocks_[l];
            const float* stream = L_.language ? b.x_mid.data() : b.x_in.data();
            if (bl.moe)
                moe_backward(dev_, b.dims, moe_weights(bl), b.h2.data(), N, b.moe, dx_.data(), dh_.data(),
                             moe_grads(bl));
            else
                swiglu_backward(dev_, b.h2.data(), N, d, bl.inter, w(bl.w_gate), w(bl.w_up), w(bl.w_down), b.dense,
                                dx_.data(), dh_.data(), g(bl.w_gate), g(bl.w_up), g(bl.w_down));
            rmsnorm_backward(dev_, stream, w(bl.ln2), b.rstd2.data(), dh_.data(), N, d, dpart_.data(), g(bl.ln2));
            add_into(dev_, dx_.data(), dpart_.data(), static_cast<int64_t>(nd));
            if (!L_.language) continue;
            attention_backward(dev_, attention_dims(), b.h1.data(), w(bl.q), w(bl.k), w(bl.v), w(bl.o), b.attn,
                               dx_.data(), dh_.data(), g(bl.q), g(bl.k), g(bl.v), g(bl.o));
            rmsnorm_backward(dev_, b.x_in.data(), w(bl.ln1), b.rstd1.data(), dh_.data(), N, d, dpart_.data(),
                             g(bl.ln1));
            add_into(dev_, dx_.data(), dpart_.data(), static_cast<int64_t>(nd));
        }
        if (L_.language) {
            embedding_backward(dev_, inputs_.data(), dx_.data(), N, d, static_cast<int>(L_.params[L_.embed].rows),
                               g(L_.embed), embed_grad_);
            if (L_.pos >= 0)
                embedding_backward(dev_, positions_.data(), dx_.data(), N, d,
                                   static_cast<int>(L_.params[L_.pos].rows), g(L_.pos), embed_grad_);
        } else {
            bias_grad(dev_, dx_.data(), N, d, g(L_.in_b));
            dev_.gemm(gemm_tn(d, 2, static_cast<int>(N), dx_.data(), points_.data(), g(L_.in_w)));
        }
    }

    Dev dev_;
    ModelLayout L_;
    std::vector<ParamBuffers> p_;
    std::vector<Block> blocks_;
    DeviceSum<Dev> sum_;
    EmbeddingGradWorkspace<Dev> embed_grad_;
    int batch_ = 0, seq_ = 0;
    int64_t rows_ = 0;
    Buf<int32_t> inputs_, targets_, positions_, row_correct_;
    Buf<int16_t> domains_;
    Buf<float> points_, x_, tmp_, hn_, rstd_final_, logits_, probs_, row_loss_;
    Buf<float> dlogits_, dhn_, dx_, dh_, dpart_;
    Buf<double> metrics_, sumsq_, clip_;
};

}  // namespace moe::gpu
