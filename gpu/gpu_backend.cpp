#include "gpu/gpu_backend.h"

#include "core/error.h"
#include "gpu/device_probe.h"
#include "gpu/engine/device_models.h"
#include "gpu/engine/layout_of.h"
#include "gpu/routing_stats_unpack.h"

namespace moe::gpu {

ComputeDevice parse_compute_device(const std::string& name) {
    if (name == "cpu") return ComputeDevice::Cpu;
    if (name == "cuda") return ComputeDevice::Cuda;
    if (name == "auto") return ComputeDevice::Auto;
    if (name == "emulated") return ComputeDevice::Emulated;
    throw ConfigError("unknown device '" + name + "': use cpu, cuda, auto (CUDA when a GPU is usable, else the CPU) "
                      "or emulated (the GPU code path run on the CPU, for checking)");
}

const char* compute_device_name(ComputeDevice device) {
    switch (device) {
        case ComputeDevice::Cpu: return "cpu";
        case ComputeDevice::Cuda: return "cuda";
        case ComputeDevice::Auto: return "auto";
        case ComputeDevice::Emulated: return "emulated";
    }
    return "cpu";
}

namespace {

// The StepBackend over a DeviceModel: converts core types to plain views and back.
class DeviceStepBackend final : public StepBackend {
public:
    DeviceStepBackend(std::unique_ptr<DeviceModelApi> device, ModelLayout layout, Model& model, std::string name)
        : device_(std::move(device)), layout_(std::move(layout)), train_(model.config().train), name_(std::move(name)) {
        std::vector<const float*> w, m, v;
        for (const Param& p : model.params()) {
            w.push_back(p.w.data());
            m.push_back(p.m.data());
            v.push_back(p.v.data());
        }
        device_->upload(w, m, v);
    }

    std::string name() const override { return name_; }

    BackendStep forward_backward(const Batch& batch, int n_domains) override {
        const BatchView view = view_of(batch, n_domains);
        DeviceStepResult r = device_->forward_backward(view);
        BackendStep s;
        s.forward.loss = r.loss;
        s.forward.aux_loss = r.aux_loss;
        s.forward.tokens = r.rows;
        s.forward.correct = r.correct;
        s.grad_norm = r.grad_norm;
        size_t m = 0;
        for (size_t l = 0; l < layout_.blocks.size(); ++l) {
            const BlockLayout& b = layout_.blocks[l];
            if (!b.moe) continue;
            MoEDims dims = b.moe_dims;
            dims.router.batch = layout_.language ? batch.batch : 1;
            dims.router.seq = layout_.language ? batch.seq : batch.batch;
            s.routing.push_back(unpack_routing_stats(dims, n_domains, static_cast<int>(l), r.rows, layout_.hidden,
                                                     r.routing[m++].data()));
        }
        return s;
    }

    // The device clips with the norm it computed itself (the same number the Trainer checked).
    void apply_update(double lr, double /*grad_norm*/) override {
        AdamWSettings s;
        s.beta1 = train_.adam_beta1;
        s.beta2 = train_.adam_beta2;
        s.eps = train_.adam_eps;
        s.weight_decay = train_.weight_decay;
        s.grad_clip = train_.grad_clip;
        device_->apply_update(lr, ++t_, s);
    }

    double loss(const Batch& batch) override { return device_->loss(view_of(batch, 0)); }

    void download_params(Model& model) override {
        std::vector<float*> w, m, v;
        for (Param& p : model.params()) {
            w.push_back(p.w.data());
            m.push_back(p.m.data());
            v.push_back(p.v.data());
        }
        device_->download(w, m, v);
    }

private:
    BatchView view_of(const Batch& batch, int n_domains) const {
        BatchView v;
        v.batch = batch.batch;
        v.seq = layout_.language ? batch.seq : 1;
        v.inputs = batch.inputs.empty() ? nullptr : batch.inputs.data();
        v.points = batch.points.empty() ? nullptr : batch.points.data();
        v.targets = batch.targets.data();
        v.domains = batch.domains.empty() ? nullptr : batch.domains.data();
        v.n_domains = v.domains ? n_domains : 0;
        return v;
    }

    std::unique_ptr<DeviceModelApi> device_;
    ModelLayout layout_;
    TrainConfig train_;
    std::string name_;
    int t_ = 0;
};

}  // namespace

std::unique_ptr<DeviceModelApi> make_device_model(ComputeDevice device, const ModelLayout& layout) {
    if (device == ComputeDevice::Emulated) return make_emulated_model(layout);
    const DeviceProbe probe = probe_device();
    if (!probe.usable) throw Error("no usable CUDA GPU: " + probe.reason);
#if defined(MOELAB_HAVE_CUDA)
    return make_cuda_model(layout);
#else
    throw Error("this build has no CUDA backend");
#endif
}

BackendChoice make_step_backend(ComputeDevice device, Model& model) {
    BackendChoice choice;
    if (device == ComputeDevice::Cpu) return choice;
    ModelLayout layout = layout_of(model);
    if (device == ComputeDevice::Emulated) {
        choice.backend = std::make_unique<DeviceStepBackend>(make_device_model(device, layout), layout, model,
                                                             "emulated GPU (CPU)");
        return choice;
    }
    const DeviceProbe probe = probe_device();
    if (!probe.usable) {
        const std::string why = "no usable CUDA GPU: " + probe.reason;
        if (device == ComputeDevice::Auto) {
            choice.note = why + "; training on the CPU";
            return choice;
        }
        throw Error(why + ". Use --device cpu (or --device auto to fall back to the CPU by itself).");
    }
    choice.backend = std::make_unique<DeviceStepBackend>(make_device_model(device, layout), layout, model,
                                                         "CUDA (" + probe.name + ")");
    return choice;
}

}  // namespace moe::gpu
