#include "core/train/trainer.h"

#include "core/error.h"
#include "core/parallel.h"

#include <chrono>
#include <cmath>
#include <sstream>

namespace moe {

Trainer::Trainer(const Config& config) : config_(config), optimizer_(config.train) {
    validate_config(config_);
    const ParallelScope threads(config_.train.threads);
    dataset_ = make_dataset(config_.data, config_.train.seed);
    model_ = make_model(config_, dataset_->is_language(), dataset_->num_outputs());
    validation_set_ = dataset_->validation_set(config_.train.batch_size, config_.train.seq_len,
                                               config_.train.eval_sequences);
}

Model& Trainer::model() {
    if (model_stale_) {
        backend_->download_params(*model_);
        model_stale_ = false;
    }
    return *model_;
}

const Model& Trainer::model() const { return const_cast<Trainer*>(this)->model(); }

void Trainer::set_backend(std::unique_ptr<StepBackend> backend) {
    if (step_ > 0)
        throw Error("the compute device can only be chosen before the first step: reset the run, then choose it");
    backend_ = std::move(backend);
    model_stale_ = false;
}

std::shared_ptr<const Evaluation> Trainer::evaluate() {
    const ParallelScope threads(config_.train.threads);
    const int n_domains = static_cast<int>(dataset_->domain_names().size());
    auto e = std::make_shared<const Evaluation>(
        evaluate_model(model(), validation_set_, n_domains, last_eval_ ? &last_eval_->routing : nullptr));
    last_eval_ = e;
    return e;
}

void Trainer::time_phases(PhaseTimes* sink) {
    times_ = sink;
    model_->time_phases(sink);
}

const std::vector<std::string>& live_config_keys() {
    static const std::vector<std::string> keys = {"learning_rate", "aux_loss_alpha", "device_aux_alpha",
                                                  "comm_aux_alpha", "router_z_loss_coef"};
    return keys;
}

void Trainer::set_live_knobs(const Config& live) {
    Config next = config_;
    next.train.learning_rate = live.train.learning_rate;
    next.model.aux_loss_alpha = live.model.aux_loss_alpha;
    next.model.device_aux_alpha = live.model.device_aux_alpha;
    next.model.comm_aux_alpha = live.model.comm_aux_alpha;
    next.model.router_z_loss_coef = live.model.router_z_loss_coef;
    validate_config(next);
    const ModelConfig& now = config_.model;
    const bool coefficients = next.model.aux_loss_alpha != now.aux_loss_alpha ||
                              next.model.device_aux_alpha != now.device_aux_alpha ||
                              next.model.comm_aux_alpha != now.comm_aux_alpha ||
                              next.model.router_z_loss_coef != now.router_z_loss_coef;
    if (coefficients && backend_)
        throw Error("the balance-loss coefficients of a model training on " + backend_->name() +
                    " change only with a restart: press Apply (the learning rate changes live)");
    config_ = next;
    if (coefficients)
        for (FfnLayer* f : model_->ffn_layers())
            f->set_balance_coefficients(next.model.aux_loss_alpha, next.model.device_aux_alpha,
                                        next.model.comm_aux_alpha, next.model.router_z_loss_coef);
}

StepMetrics Trainer::train_step() {
    const TrainConfig& t = config_.train;
    const ParallelScope threads(t.threads);
    const auto start = std::chrono::steady_clock::now();
    PhaseClock clock(backend_ ? nullptr : times_, Phase::Data);
    const Batch batch = dataset_->train_batch(step_, t.batch_size, t.seq_len);
    StepMetrics m;
    m.step = step_ + 1;
    m.lr = learning_rate_at(t, step_);

    const int n_domains = static_cast<int>(dataset_->domain_names().size());
    ForwardResult r;
    std::vector<RoutingStats> routing;
    BackendStep on_device;
    if (backend_) {
        on_device = backend_->forward_backward(batch, n_domains);
        r = on_device.forward;
        routing = std::move(on_device.routing);
    } else {
        clock.next(Phase::Optimizer);
        model_->zero_grad();
        clock.pause();  // the model times its own phases
        r = model_->forward(batch);
        clock.next(Phase::Statistics);
        routing = model_->routing_stats(n_domains);
    }
    m.loss = r.loss;
    m.accuracy = r.tokens > 0 ? static_cast<double>(r.correct) / static_cast<double>(r.tokens) : 0.0;
    const bool want_routing = (m.step % t.routing_interval == 0) || m.step == t.steps || m.step == 1;
    for (const auto& s : routing) m.balance.push_back(balance_of(s));
    // The layers add balance losses and the router z-loss together; the metrics keep them apart.
    for (const LayerBalance& b : m.balance) m.z_loss += b.z_loss;
    m.aux_loss = r.aux_loss - m.z_loss;
    if (want_routing) m.routing = std::move(routing);
    clock.pause();

    auto fail = [&](const std::string& what) {
        std::ostringstream msg;
        msg << what << " at step " << m.step << " (learning rate " << m.lr
            << "): training stopped. Try a lower learning_rate (e.g. --set learning_rate=" << t.learning_rate / 3
            << "), a smaller grad_clip, or a different seed; everything written before this step is kept.";
        throw TrainingError(msg.str());
    };
    if (!std::isfinite(r.loss) || !std::isfinite(r.aux_loss)) fail("the loss became " + std::to_string(r.loss));
    if (backend_) {
        // The device computed the gradients with the loss; nothing has changed on it yet.
        m.grad_norm = on_device.grad_norm;
        if (!std::isfinite(m.grad_norm)) fail("the gradient norm became " + std::to_string(m.grad_norm));
        backend_->apply_update(m.lr, m.grad_norm);
        model_stale_ = true;
    } else {
        model_->backward();
        clock.next(Phase::Optimizer);
        m.grad_norm = global_grad_norm(model_->params());
        if (!std::isfinite(m.grad_norm)) fail("the gradient norm became " + std::to_string(m.grad_norm));
        optimizer_.step(model_->params(), m.lr, m.grad_norm);
        model_->update_selection_bias(config_.model.bias_update_rate);
        clock.pause();
    }
    ++step_;

    // Speed of the training step itself; validation below is not counted.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.tokens_per_s = seconds > 0 ? static_cast<double>(r.tokens) / seconds : 0.0;
    if (step_ % t.eval_interval == 0 || step_ == t.steps) {
        m.eval = evaluate();
        m.val_loss = m.eval->loss;
    }
    return m;
}

}  // namespace moe
