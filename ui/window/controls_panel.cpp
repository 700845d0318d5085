#include "ui/window/controls_panel.h"

#include "core/accounting.h"
#include "core/presets.h"
#include "core/train/trainer.h"
#include "datasets/dataset.h"
#include "ui/views/view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>
#include <set>

namespace moe::ui {
namespace {

const std::set<std::string> kDirect = {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"};
const std::set<std::string> kLadder = {"segmentation", "ladder_experts", "ladder_top_k", "ffn_base_width"};
// The preset combo's "custom" entry.
constexpr const char* kCustomPreset = "custom";

std::string number_text(double v) { return QString::number(v, 'g', 17).toStdString(); }

QString help_of(const QString& key) {
    for (const auto& k : config_keys())
        if (QString::fromStdString(k.name) == key) return QString::fromStdString(k.help) + "  [" + key + "]";
    return {};
}

bool is_live(const QString& key) {
    for (const std::string& k : live_config_keys())
        if (QString::fromStdString(k) == key) return true;
    return false;
}

// A live knob's label carries a green dot, and its help says it needs no restart.
QString live_label(const QString& label, const QString& key) {
    return is_live(key) ? label + QStringLiteral(" <span style='color:#2e7d32'>\u25cf</span>") : label;
}

QString live_help(const QString& key) {
    const QString help = help_of(key);
    return is_live(key) ? help + QObject::tr("\nLive (green dot): applies at the next step, no restart.") : help;
}

QSpinBox* int_spin(int lo, int hi, int step = 1) {
    auto* spin = new QSpinBox;
    spin->setRange(lo, hi);
    spin->setSingleStep(step);
    spin->setKeyboardTracking(false);  // a value is an edit when typed in full, not at every keystroke
    spin->setAccelerated(true);
    return spin;
}

QDoubleSpinBox* real_spin(double lo, double hi, int decimals, double step) {
    auto* spin = new QDoubleSpinBox;
    spin->setRange(lo, hi);
    spin->setDecimals(decimals);
    spin->setSingleStep(step);
    spin->setKeyboardTracking(false);
    return spin;
}

QString dataset_text(const std::string& name) {
    if (name == "corpus") return "bundled corpus";
    if (name == "text") return "text file...";
    return QString::fromStdString(name) + " (2-D)";
}

QString millions(int64_t n) { return QString::number(n / 1e6, 'f', n < 1e6 ? 3 : 2) + "M"; }

void set_int(QWidget* w, int v) {
    if (auto* s = qobject_cast<QSpinBox*>(w)) s->setValue(v);
}
void set_real(QWidget* w, double v) {
    if (auto* s = qobject_cast<QDoubleSpinBox*>(w)) s->setValue(v);
}

}  // namespace

QStringList ControlsPanel::controlKeys() {
    return {"preset",        "n_routed_experts", "segmentation", "n_shared_experts", "num_experts_per_tok",
            "aux_loss_alpha", "seq_aux",          "norm_topk_prob", "num_hidden_layers", "hidden_size",
            "dataset",       "data_file",        "noise",        "learning_rate",    "batch_size",
            "seq_len",       "seed",             "probe_text",   "devices",          "device_limit",
            "placement",     "device_routing",   "device_aux_alpha", "comm_aux_alpha", "router_z_loss_coef",
            "scoring_func",  "topk_method",      "bias_update_rate", "routed_scaling_factor",
            "capacity_factor", "drop_policy"};
}

ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
    // The knobs scroll; the error, the hint and Apply stay pinned below them, so Apply is reachable without
    // scrolling on any screen (a 1366x768 projector shows about two thirds of the knobs).
    auto* knobs = new QWidget;
    auto* knob_layout = new QVBoxLayout(knobs);
    knob_layout->setContentsMargins(0, 0, 0, 0);
    knob_layout->addWidget(buildModelGrid());
    knob_layout->addWidget(buildDeviceGrid());
    knob_layout->addWidget(buildSharedForm());
    knob_layout->addStretch(1);
    auto* scroll = new QScrollArea;
    scroll->setObjectName("controlsScroll");
    scroll->setWidget(knobs);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);

    message_ = new QLabel;
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->setStyleSheet("color: #c62828; font-weight: bold;");
    message_->setObjectName("controlsError");
    message_->hide();
    layout->addWidget(message_);

    hint_ = new QLabel;
    hint_->setObjectName("applyHint");
    hint_->setWordWrap(true);
    hint_->setStyleSheet("color: palette(mid);");
    layout->addWidget(hint_);

    apply_ = new QPushButton(tr("Apply (restart training)"));
    apply_->setObjectName("apply");
    apply_->setToolTip(tr("Train the edited models from step 0 (Reset does the same)"));
    apply_->setEnabled(false);
    connect(apply_, &QPushButton::clicked, this, &ControlsPanel::applyRequested);
    layout->addWidget(apply_);
}

void ControlsPanel::registerControl(int model, const QString& key, QWidget* widget, QWidget* label) {
    (model < 0 ? shared_controls_ : model_controls_[model])[key] = widget;
    rows_[key] << widget;
    if (label) rows_[key] << label;
    widget->setToolTip(key == "probe_text" ? tr("Text run through both models for the routing view and the token "
                                                "inspector (applies at once)")
                                           : live_help(key));
    widget->setObjectName(QString("%1_%2").arg(model < 0 ? QString("shared") : QString(QChar('A' + model)), key));
}

void ControlsPanel::addModelRow(QGridLayout* grid, int row, const QString& label, const QString& key,
                                const std::function<QWidget*(int model)>& make) {
    auto* text = new QLabel(live_label(label, key));
    text->setToolTip(live_help(key));
    grid->addWidget(text, row, 0);
    rows_[key] << text;
    for (int m = 0; m < 2; ++m) {
        QWidget* w = make(m);
        // Columns share the dock's width instead of asking for their widest text: the panel stays narrow.
        w->setMinimumWidth(64);
        w->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        registerControl(m, key, w, nullptr);
        grid->addWidget(w, row, 1 + m);
    }
}

QLabel* ControlsPanel::addModelHeaders(QGridLayout* grid) {
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(2, 1);
    QLabel* first = nullptr;
    for (int m = 0; m < 2; ++m) {
        auto* header = new QLabel(QString("<b>%1</b>").arg(QChar('A' + m)));
        header->setAlignment(Qt::AlignCenter);
        header->setStyleSheet(QString("color: %1;").arg(model_colour(m).name()));
        grid->addWidget(header, 0, 1 + m);
        if (m == 0) first = header;
    }
    return first;
}

void ControlsPanel::addIntRow(QGridLayout* grid, int row, const QString& label, const char* key, int lo, int hi,
                              int step, const QString& special) {
    addModelRow(grid, row, label, key, [&](int m) {
        QSpinBox* spin = int_spin(lo, hi, step);
        if (!special.isEmpty()) spin->setSpecialValueText(special);
        const std::string k = key;
        connect(spin, &QSpinBox::valueChanged, this, [this, m, k](int v) { modelEdited(m, k, std::to_string(v)); });
        return spin;
    });
}

void ControlsPanel::addRealRow(QGridLayout* grid, int row, const QString& label, const char* key) {
    addModelRow(grid, row, label, key, [&](int m) {
        QDoubleSpinBox* spin = real_spin(0.0, 1.0, 4, 0.001);
        const std::string k = key;
        connect(spin, &QDoubleSpinBox::valueChanged, this, [this, m, k](double v) { modelEdited(m, k, number_text(v)); });
        return spin;
    });
}

void ControlsPanel::addChoiceRow(QGridLayout* grid, int row, const QString& label, const char* key,
                                 const std::vector<std::pair<QString, QString>>& items) {
    addModelRow(grid, row, label, key, [&](int m) {
        auto* combo = new QComboBox;
        for (const auto& [text, value] : items) combo->addItem(text, value);
        const std::string k = key;
        connect(combo, &QComboBox::currentIndexChanged, this,
                [this, m, k, combo] { modelEdited(m, k, combo->currentData().toString().toStdString()); });
        return combo;
    });
}

QWidget* ControlsPanel::buildModelGrid() {
    auto* box = new QGroupBox(tr("Models"));
    models_box_ = box;
    auto* grid = new QGridLayout(box);
    headers_[0] = addModelHeaders(grid);
    headers_[1] = qobject_cast<QLabel*>(grid->itemAtPosition(0, 2)->widget());
    int row = 1;
    addModelRow(grid, row++, tr("Preset"), "preset", [this](int m) {
        auto* combo = new QComboBox;
        for (const auto& p : presets()) {
            combo->addItem(QString::fromStdString(p.name), QString::fromStdString(p.name));
            combo->setItemData(combo->count() - 1, QString::fromStdString(p.description), Qt::ToolTipRole);
        }
        // Shown (never chosen) once the user edits a key the preset sets: the model is no longer that preset.
        combo->addItem(tr("custom"), QString::fromLatin1(kCustomPreset));
        if (auto* items = qobject_cast<QStandardItemModel*>(combo->model()))
            items->item(combo->count() - 1)->setFlags(Qt::NoItemFlags);
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(6);
        connect(combo, &QComboBox::currentIndexChanged, this, [this, m, combo] {
            if (combo->currentData().toString() != QLatin1String(kCustomPreset))
                presetChosen(m, combo->currentData().toString());
        });
        return combo;
    });
    addIntRow(grid, row++, tr("Segmentation m"), "segmentation", 0, 16, 1, tr("off"));
    addIntRow(grid, row++, tr("Routed experts"), "n_routed_experts", 1, 1024);
    addIntRow(grid, row++, tr("Shared K_s"), "n_shared_experts", 0, 64);
    addIntRow(grid, row++, tr("Top-k"), "num_experts_per_tok", 1, 1024);
    addRealRow(grid, row++, tr("Aux loss \u03b1"), "aux_loss_alpha");
    addRealRow(grid, row++, tr("Z-loss c_z"), "router_z_loss_coef");
    addChoiceRow(grid, row++, tr("Balance per"), "seq_aux", {{tr("sequence"), "true"}, {tr("batch"), "false"}});
    addModelRow(grid, row++, tr("Renormalise"), "norm_topk_prob", [this](int m) {
        auto* check = new QCheckBox;
        connect(check, &QCheckBox::toggled, this,
                [this, m](bool on) { modelEdited(m, "norm_topk_prob", on ? "true" : "false"); });
        return check;
    });
    // DeepSeek-V3's routing: sigmoid scores, the auxiliary-loss-free bias and its rate, the weights' scale.
    addChoiceRow(grid, row++, tr("Scores"), "scoring_func", {{tr("softmax"), "softmax"}, {tr("sigmoid"), "sigmoid"}});
    addChoiceRow(grid, row++, tr("Balancing bias"), "topk_method",
                 {{tr("off"), "greedy"}, {tr("aux-free"), "noaux_tc"}});
    addRealRow(grid, row++, tr("Bias rate γ"), "bias_update_rate");
    addModelRow(grid, row++, tr("Weight scale r"), "routed_scaling_factor", [this](int m) {
        QDoubleSpinBox* spin = real_spin(0.01, 16.0, 2, 0.25);
        connect(spin, &QDoubleSpinBox::valueChanged, this,
                [this, m](double v) { modelEdited(m, "routed_scaling_factor", number_text(v)); });
        return spin;
    });
    // GShard / Switch expert capacity: 0 = dropless.
    addModelRow(grid, row++, tr("Capacity CF"), "capacity_factor", [this](int m) {
        QDoubleSpinBox* spin = real_spin(0.0, 16.0, 2, 0.25);
        spin->setSpecialValueText(tr("off"));
        connect(spin, &QDoubleSpinBox::valueChanged, this,
                [this, m](double v) { modelEdited(m, "capacity_factor", number_text(v)); });
        return spin;
    });
    addChoiceRow(grid, row++, tr("Drop first"), "drop_policy",
                 {{tr("lowest g"), "probs"}, {tr("latest"), "position"}});
    addIntRow(grid, row++, tr("Layers"), "num_hidden_layers", 1, 16);
    addIntRow(grid, row++, tr("d_model"), "hidden_size", 4, 1024, 8);
    for (int m = 0; m < 2; ++m) {
        summaries_[m] = new QLabel;
        summaries_[m]->setObjectName(QString("%1_parameters").arg(QChar('A' + m)));
        summaries_[m]->setWordWrap(true);
        QFont small = summaries_[m]->font();
        small.setPointSizeF(small.pointSizeF() * 0.85);
        summaries_[m]->setFont(small);
        grid->addWidget(summaries_[m], row, 1 + m, Qt::AlignTop);
    }
    auto* params = new QLabel(tr("Parameters"));
    params->setToolTip(tr("All parameters, and those a token activates (shared + top-k experts, attention, ...)"));
    grid->addWidget(params, row, 0, Qt::AlignTop);
    return box;
}

QWidget* ControlsPanel::buildDeviceGrid() {
    // DeepSeek-V2's device-limited routing on simulated devices (the Traffic tab): per model, like the expert knobs.
    auto* box = new QGroupBox(tr("Simulated devices (expert parallelism)"));
    devices_box_ = box;
    auto* grid = new QGridLayout(box);
    addModelHeaders(grid);
    int row = 1;
    addIntRow(grid, row++, tr("Devices D"), "devices", 1, 64, 1, tr("1 (off)"));
    addIntRow(grid, row++, tr("Device limit M"), "device_limit", 0, 64, 1, tr("off"));
    addChoiceRow(grid, row++, tr("Placement"), "placement",
                 {{tr("contiguous"), "contiguous"}, {tr("round robin"), "round_robin"}});
    addChoiceRow(grid, row++, tr("Device choice"), "device_routing",
                 {{tr("best expert (V2)"), "device"}, {tr("top-2 sum (V3)"), "group"}});
    addRealRow(grid, row++, tr("Device bal. \u03b1\u2082"), "device_aux_alpha");
    addRealRow(grid, row++, tr("Comm. bal. \u03b1\u2083"), "comm_aux_alpha");
    return box;
}

QWidget* ControlsPanel::buildSharedForm() {
    auto* box = new QGroupBox(tr("Data and training (both models)"));
    shared_box_ = box;
    auto* form = new QFormLayout(box);
    auto add = [&](const QString& label, const QString& key, QWidget* w) {
        w->setMinimumWidth(120);
        w->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        auto* text = new QLabel(live_label(label, key));
        registerControl(-1, key, w, text);
        form->addRow(text, w);
    };

    auto* dataset = new QComboBox;
    for (const auto& name : dataset_names()) dataset->addItem(dataset_text(name), QString::fromStdString(name));
    connect(dataset, &QComboBox::currentIndexChanged, this, [this] { datasetChosen(false); });
    connect(dataset, &QComboBox::activated, this, [this] { datasetChosen(true); });
    add(tr("Dataset"), "dataset", dataset);

    auto* file_row = new QWidget;
    auto* file_layout = new QHBoxLayout(file_row);
    file_layout->setContentsMargins(0, 0, 0, 0);
    data_file_ = new QLineEdit;
    data_file_->setPlaceholderText(tr("a UTF-8 or plain text file"));
    auto* browse = new QToolButton;
    browse->setText("...");
    browse->setToolTip(tr("Choose a text file to train on"));
    data_file_->setMinimumWidth(90);
    data_file_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    file_layout->addWidget(data_file_, 1);
    file_layout->addWidget(browse);
    connect(data_file_, &QLineEdit::editingFinished, this, [this] {
        if (!loading_) sharedEdited("data_file", data_file_->text().toStdString());
    });
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Text file to train on"), data_file_->text(),
                                                          tr("Text files (*.txt *.md *.csv *.json *.py *.cpp *.h);;"
                                                             "All files (*)"));
        if (file.isEmpty()) return;
        data_file_->setText(file);
        sharedEdited("data_file", file.toStdString());
    });
    auto* file_label = new QLabel(tr("Text file"));
    registerControl(-1, "data_file", data_file_, file_label);
    rows_["data_file"] << file_row;
    form->addRow(file_label, file_row);

    auto real = [&](const QString& label, const char* key, QDoubleSpinBox* spin) {
        const std::string k = key;
        connect(spin, &QDoubleSpinBox::valueChanged, this, [this, k](double v) { sharedEdited(k, number_text(v)); });
        add(label, key, spin);
    };
    auto integer = [&](const QString& label, const char* key, QSpinBox* spin) {
        const std::string k = key;
        connect(spin, &QSpinBox::valueChanged, this, [this, k](int v) { sharedEdited(k, std::to_string(v)); });
        add(label, key, spin);
    };
    real(tr("Noise"), "noise", real_spin(0.0, 2.0, 2, 0.05));
    real(tr("Learning rate"), "learning_rate", real_spin(0.00001, 1.0, 5, 0.0005));
    integer(tr("Batch size"), "batch_size", int_spin(1, 1024));
    integer(tr("Context length"), "seq_len", int_spin(2, 4096, 8));
    integer(tr("Seed"), "seed", int_spin(0, std::numeric_limits<int>::max()));

    auto* probe = new QLineEdit;
    probe->setPlaceholderText(tr("text to route through both models"));
    connect(probe, &QLineEdit::editingFinished, this, [this, probe] {
        if (loading_ || probe->text() == probe_) return;
        probe_ = probe->text();
        result_.lesson.probe_text = probe_;
        emit probeTextEdited(probe_);
    });
    add(tr("Probe text"), "probe_text", probe);
    return box;
}

QWidget* ControlsPanel::control(int model, const QString& key) const {
    if (model < 0) return shared_controls_.value(key);
    return model_controls_[model].value(key);
}

void ControlsPanel::setLesson(const Lesson& lesson) {
    base_ = lesson;
    edits_ = {};
    for (int m = 0; m < 2; ++m) edits_[m].preset = (m == 0 ? lesson.model_a : lesson.model_b).preset;
    shared_.clear();
    probe_ = lesson.probe_text;
    resolved_ = {lesson.model_a, lesson.model_b};
    headers_[0]->setToolTip(lesson.label_a);
    headers_[1]->setToolTip(lesson.label_b);
    for (auto it = rows_.begin(); it != rows_.end(); ++it)
        for (QWidget* w : it.value()) w->setVisible(!lesson.hidden_controls.contains(it.key()));
    models_box_->setEnabled(true);
    devices_box_->setEnabled(true);
    shared_box_->setEnabled(true);
    showConfigs(lesson.model_a, lesson.model_b);
    pending_ = false;
    rebuild();
}

void ControlsPanel::showConfigs(const Config& a, const Config& b) {
    loading_ = true;
    const Config* configs[2] = {&a, &b};
    for (int m = 0; m < 2; ++m) {
        const Config& c = *configs[m];
        const auto& w = model_controls_[m];
        auto* preset = qobject_cast<QComboBox*>(w["preset"]);
        const int custom = preset->findData(QString::fromLatin1(kCustomPreset));
        if (isCustom(m)) {
            preset->setItemText(custom, tr("custom (%1 + edits)").arg(QString::fromStdString(c.preset)));
            preset->setCurrentIndex(custom);
        } else {
            preset->setCurrentIndex(preset->findData(QString::fromStdString(c.preset)));
        }
        set_int(w["segmentation"], c.model.segmentation);
        set_int(w["n_routed_experts"], c.model.n_routed_experts);
        set_int(w["n_shared_experts"], c.model.n_shared_experts);
        set_int(w["num_experts_per_tok"], c.model.num_experts_per_tok);
        set_real(w["aux_loss_alpha"], c.model.aux_loss_alpha);
        set_real(w["router_z_loss_coef"], c.model.router_z_loss_coef);
        auto* seq = qobject_cast<QComboBox*>(w["seq_aux"]);
        seq->setCurrentIndex(seq->findData(c.model.seq_aux ? "true" : "false"));
        qobject_cast<QCheckBox*>(w["norm_topk_prob"])->setChecked(c.model.norm_topk_prob);
        for (const char* key : {"scoring_func", "topk_method"}) {
            auto* combo = qobject_cast<QComboBox*>(w[key]);
            const std::string& value = std::string(key) == "scoring_func" ? c.model.scoring_func : c.model.topk_method;
            combo->setCurrentIndex(combo->findData(QString::fromStdString(value)));
        }
        set_real(w["bias_update_rate"], c.model.bias_update_rate);
        set_real(w["routed_scaling_factor"], c.model.routed_scaling_factor);
        w["bias_update_rate"]->setEnabled(c.model.topk_method == "noaux_tc");  // dim: it moves no bias otherwise
        set_real(w["capacity_factor"], c.model.capacity_factor);
        auto* drop = qobject_cast<QComboBox*>(w["drop_policy"]);
        drop->setCurrentIndex(drop->findData(QString::fromStdString(c.model.drop_policy)));
        drop->setEnabled(c.model.capacity_factor > 0);  // dim: nothing is dropped without a capacity
        set_int(w["num_hidden_layers"], c.model.num_hidden_layers);
        set_int(w["hidden_size"], c.model.hidden_size);
        set_int(w["devices"], c.model.devices);
        set_int(w["device_limit"], c.model.device_limit);
        for (const char* key : {"placement", "device_routing"}) {
            auto* combo = qobject_cast<QComboBox*>(w[key]);
            const std::string& value = std::string(key) == "placement" ? c.model.placement : c.model.device_routing;
            combo->setCurrentIndex(combo->findData(QString::fromStdString(value)));
        }
        set_real(w["device_aux_alpha"], c.model.device_aux_alpha);
        set_real(w["comm_aux_alpha"], c.model.comm_aux_alpha);
        // Dim, not hide: on one device the other device knobs exist but do nothing.
        for (const char* key : {"device_limit", "placement", "device_routing", "device_aux_alpha", "comm_aux_alpha"})
            w[key]->setEnabled(c.model.devices > 1);
    }
    // The data are the same for both models (check_same_data): show A's.
    auto* dataset = qobject_cast<QComboBox*>(shared_controls_["dataset"]);
    dataset->setCurrentIndex(dataset->findData(QString::fromStdString(a.data.dataset)));
    data_file_->setText(QString::fromStdString(a.data.data_file));
    set_real(shared_controls_["noise"], a.data.noise);
    set_real(shared_controls_["learning_rate"], a.train.learning_rate);
    set_int(shared_controls_["batch_size"], a.train.batch_size);
    set_int(shared_controls_["seq_len"], a.train.seq_len);
    set_int(shared_controls_["seed"], static_cast<int>(a.train.seed));
    qobject_cast<QLineEdit*>(shared_controls_["probe_text"])->setText(probe_);
    loading_ = false;
    updateDatasetDependent();
}

bool ControlsPanel::isCustom(int model) const {
    for (const auto& key : preset_owned_keys())
        if (edits_[model].settings.count(key)) return true;
    return false;
}

void ControlsPanel::presetChosen(int model, const QString& preset) {
    if (loading_) return;
    ModelEdits& e = edits_[model];
    const Config& lesson_config = model == 0 ? base_.model_a : base_.model_b;
    e.preset = preset.toStdString();
    e.preset_changed = e.preset != lesson_config.preset;
    // A preset is a whole expert structure: earlier structural edits of this model no longer apply.
    for (const auto& key : preset_owned_keys()) e.settings.erase(key);
    e.mode = ExpertMode::FromLesson;
    pending_ = true;
    rebuild();
}

void ControlsPanel::modelEdited(int model, const std::string& key, const std::string& value) {
    if (loading_) return;
    last_edit_ = {model, QString::fromStdString(key)};
    ModelEdits& e = edits_[model];
    if (key == "segmentation") {
        // m states the experts through the ladder: routed experts and top-k follow from it.
        e.mode = ExpertMode::Ladder;
        for (const auto& k : kDirect) e.settings.erase(k);
    } else if (kDirect.count(key)) {
        if (e.mode != ExpertMode::Direct) {
            // Leaving the ladder: keep the experts the user sees now, change only the knob touched.
            const ModelConfig& now = resolved_[model].model;
            e.settings["n_routed_experts"] = std::to_string(now.n_routed_experts);
            e.settings["num_experts_per_tok"] = std::to_string(now.num_experts_per_tok);
            e.settings["moe_intermediate_size"] = std::to_string(now.moe_intermediate_size);
        }
        e.mode = ExpertMode::Direct;
        for (const auto& k : kLadder) e.settings.erase(k);
    }
    e.settings[key] = value;
    pending_ = true;
    rebuild();
}

void ControlsPanel::sharedEdited(const std::string& key, const std::string& value) {
    if (loading_) return;
    last_edit_ = {-1, QString::fromStdString(key)};
    shared_[key] = value;
    pending_ = true;
    rebuild();
}

void ControlsPanel::datasetChosen(bool by_user) {
    if (loading_) return;
    auto* dataset = qobject_cast<QComboBox*>(shared_controls_["dataset"]);
    const std::string name = dataset->currentData().toString().toStdString();
    if (by_user && name == "text" && data_file_->text().isEmpty()) {
        const QString file = QFileDialog::getOpenFileName(this, tr("Text file to train on"));
        if (!file.isEmpty()) {
            data_file_->setText(file);
            sharedEdited("data_file", file.toStdString());
        }
    }
    if (by_user) return;  // currentIndexChanged has already recorded the dataset itself
    updateDatasetDependent();
    sharedEdited("dataset", name);
}

void ControlsPanel::updateDatasetDependent() {
    auto* dataset = qobject_cast<QComboBox*>(shared_controls_["dataset"]);
    const std::string name = dataset->currentData().toString().toStdString();
    const bool language = is_language_dataset(name);
    // Dim, not hide: a student should see that the knob exists but does nothing for this kind of data.
    for (const char* key : {"seq_len", "probe_text"})
        for (QWidget* w : rows_[key]) w->setEnabled(language);
    for (QWidget* w : rows_["noise"]) w->setEnabled(!language);
    for (QWidget* w : rows_["data_file"]) w->setEnabled(name == "text");
}

void ControlsPanel::setHighlighted(QWidget* widget) {
    if (highlighted_) highlighted_->setStyleSheet({});
    highlighted_ = widget;
    if (widget) widget->setStyleSheet("background-color: #ffcdd2;");
}

void ControlsPanel::rebuild() {
    const bool was_valid = result_.ok;
    result_ = build_lesson(base_, edits_[0], edits_[1], shared_, probe_, controlKeys());
    if (result_.ok && pending_ && only_live_knobs_differ(base_, result_.lesson)) {
        // The learning rate or a balance coefficient alone: the running models take it, nothing restarts.
        base_.model_a = result_.lesson.model_a;
        base_.model_b = result_.lesson.model_b;
        pending_ = false;
        emit liveKnobsEdited(result_.lesson);
    }
    if (result_.ok) {
        resolved_ = {result_.lesson.model_a, result_.lesson.model_b};
        // Show what the engine derived (e.g. routed experts and top-k from m) without counting it as an edit.
        showConfigs(result_.lesson.model_a, result_.lesson.model_b);
        message_->hide();
        setHighlighted(nullptr);
    } else {
        message_->setText(result_.error);
        message_->show();
        QWidget* culprit = nullptr;
        // A message may name several keys ("n_routed_experts = 16 is not divisible by devices = 5"): the knob just
        // turned is the one to point at when the message names it.
        if ((result_.model == last_edit_.first || last_edit_.first < 0) &&
            !key_named_in(result_.error, {last_edit_.second}).isEmpty())
            culprit = control(last_edit_.first, last_edit_.second);
        if (!culprit && result_.model >= 0) culprit = control(result_.model, result_.key);
        if (!culprit) culprit = control(-1, result_.key);
        if (!culprit) culprit = control(0, result_.key);  // a data problem named by a model key
        setHighlighted(culprit);
    }
    QString hint = !result_.ok ? tr("Fix the setting in red to train again.")
                   : pending_  ? tr("Changed: press Apply (or Reset) to train the edited models from step 0.")
                               : tr("Knobs with a green dot apply at the next step; the others need Apply (or "
                                    "Reset) to retrain from step 0.");
    for (int m = 0; m < 2; ++m)
        if (edits_[m].mode == ExpertMode::Direct && (m == 0 ? base_.model_a : base_.model_b).model.segmentation > 0)
            hint += tr("\n%1: routed experts and top-k are set directly, so segmentation m (the ladder) is off.")
                        .arg(QChar('A' + m));
    hint_->setText(hint);
    // A pending change must not be missed from the back of a classroom: the hint stands out until Apply.
    hint_->setStyleSheet(pending_ && result_.ok
                             ? QStringLiteral("background: #fff3cd; color: #5d4200; font-weight: bold; padding: 4px;"
                                              " border: 1px solid #e0b400; border-radius: 3px;")
                             : QStringLiteral("color: palette(mid);"));
    apply_->setEnabled(result_.ok && pending_);
    updateSummaries();
    if (was_valid != result_.ok) emit validityChanged(result_.ok);
    emit pendingChanged(pending_);
}

void ControlsPanel::updateSummaries() {
    for (int m = 0; m < 2; ++m) {
        const Config& c = resolved_[m];
        const bool language = is_language_dataset(c.data.dataset);
        const int outputs = language ? 256 : std::max(2, c.data.classes);
        const Accounting a = account(c, language, outputs);
        summaries_[m]->setText(tr("%1 total\n%2 active").arg(millions(a.total()), millions(a.activated())));
        summaries_[m]->setToolTip(QString::fromStdString(accounting_table(c, a)));
    }
}

void ControlsPanel::markApplied() {
    pending_ = false;
    rebuild();
}

void ControlsPanel::showReadOnly(const Config& a, const Config& b) {
    showConfigs(a, b);
    models_box_->setEnabled(false);
    devices_box_->setEnabled(false);
    shared_box_->setEnabled(false);
    apply_->setEnabled(false);
    message_->hide();
    hint_->setText(tr("Showing a saved run (read-only)."));
}

void ControlsPanel::leaveReadOnly() {
    if (models_box_->isEnabled()) return;
    models_box_->setEnabled(true);
    devices_box_->setEnabled(true);
    shared_box_->setEnabled(true);
    showConfigs(resolved_[0], resolved_[1]);
    rebuild();
}

}  // namespace moe::ui
