// The live views, offscreen: each accepts a hand-made snapshot, shows and exports the numbers it was given (CSV
// checked against the snapshot), writes valid PNG / SVG / PDF files atomically, maps clicks to tokens and plane
// points, and normalises heatmap colours per layer or globally.
#include "tests/ui_test_app.h"
#include "ui/session/lesson.h"
#include "ui/views/accounting_view.h"
#include "ui/views/colour_maps.h"
#include "ui/views/heatmap_view.h"
#include "ui/views/loss_view.h"
#include "ui/views/plane_view.h"
#include "ui/views/plot_text.h"
#include "ui/views/plot_view.h"
#include "ui/views/routing_view.h"
#include "ui/views/sharp_colour_map.h"
#include "ui/views/token_inspector.h"
#include "ui/views/utilisation_time_view.h"
#include "ui/views/utilisation_view.h"
#include "ui/views/view_factory.h"
#include "ui/views/view_text.h"

#include <qcustomplot.h>

#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QImage>
#include <QMouseEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QWheelEvent>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <utility>

namespace moe::ui {
namespace {

using test::send_click;

// Created on first use, never during static initialisation: test discovery runs this binary with no display.
QApplication& app() {
    static int argc = 1;
    static char name[] = "test_ui_views";
    static char* argv[] = {name, nullptr};
    static QApplication* instance = [] {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        return new QApplication(argc, argv);
    }();
    return *instance;
}

struct Shape {
    int n_routed, n_shared, top_k;
};

// Simulated expert parallelism on `devices` devices: per layer a D x D dispatch matrix (nothing on the diagonal: a
// token's copy to its own device is not sent) and device loads, and the per-step curves. A generator of its own, so
// the other numbers stay those of the seed.
void add_devices(ModelSnapshot& ms, int devices, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> copies(0, 90);
    ms.devices = devices;
    ms.config.model.devices = devices;
    ms.config.model.device_limit = devices / 2;
    for (LayerSnapshot& l : ms.layers) {
        l.traffic.assign(std::size_t(devices), std::vector<double>(std::size_t(devices), 0.0));
        l.device_load.clear();
        for (int src = 0; src < devices; ++src) {
            for (int dst = 0; dst < devices; ++dst)
                if (src != dst) l.traffic[std::size_t(src)][std::size_t(dst)] = copies(rng);
            l.device_load.push_back(100 + copies(rng));
        }
    }
    for (double step : ms.loss.x) {
        ms.dispatch_bytes.x.push_back(step);
        ms.dispatch_bytes.y.push_back(4096.0 * (200 + copies(rng)));
        ms.remote_devices.x.push_back(step);
        ms.remote_devices.y.push_back(0.5 + copies(rng) / 90.0);
    }
}

// A small but complete snapshot with irregular numbers: A = 8 routed + 1 shared experts (top-3), B = 4 routed
// (top-2); 2 MoE layers each; a probe text with a space, a newline and a comma; 3 domains; A on 4 simulated devices,
// B on 2; a 2-D plane when asked.
// `scale` multiplies B's gate scores so A and B have different colour maxima.
SnapshotPtr make_snapshot(uint64_t serial, unsigned seed, bool plane = false,
                          std::array<Shape, 2> shapes = {Shape{8, 1, 3}, Shape{4, 0, 2}}, int tokens = 7,
                          const std::string& probe_text = "ab c,\nde") {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.05, 1.0);
    auto s = std::make_shared<Snapshot>();
    s->serial = serial;
    s->step = 40;
    for (int m = 0; m < 2; ++m) {
        ModelSnapshot& ms = s->models[std::size_t(m)];
        const Shape sh = shapes[std::size_t(m)];
        ms.label = m == 0 ? "DeepSeekMoE" : "GShard";
        ms.language = !plane;
        ms.config.model.n_routed_experts = sh.n_routed;
        ms.config.model.n_shared_experts = sh.n_shared;
        ms.config.model.num_experts_per_tok = sh.top_k;
        ms.config.model.aux_loss_alpha = 0.01;
        if (m == 0) ms.config.model.topk_method = "noaux_tc";
        ms.domain_names = {"prose", "code", "math"};
        ms.accounting.attention = 1000 + m;
        ms.accounting.experts_total = 8192;
        ms.accounting.experts_activated = 2048;
        ms.accounting.routed_total = 8192 - 1024 * sh.n_shared;
        ms.accounting.shared_total = 1024 * sh.n_shared;
        ms.accounting.other = 500 + int64_t(seed);
        ms.accounting.flops_attention = 3000.5;
        ms.accounting.flops_experts = 4096;
        ms.accounting.flops_other = 1000 * double(seed);
        for (int step = 1; step <= 20; ++step) {
            ms.loss.x.push_back(step);
            ms.loss.y.push_back(5.5 - 0.1 * step + 0.3 * u(rng));
            ms.aux_loss.x.push_back(step);
            ms.aux_loss.y.push_back(0.02 + 0.01 * u(rng));
            for (Series* series : {&ms.lr, &ms.grad_norm, &ms.accuracy, &ms.routing_entropy, &ms.dead_share})
                series->x.push_back(step);
            ms.lr.y.push_back(0.003 * std::min(1.0, step / 5.0));
            ms.grad_norm.y.push_back(1.0 + u(rng));
            ms.accuracy.y.push_back(0.02 * step * u(rng));
            ms.routing_entropy.y.push_back(1.0 - 0.02 * step * u(rng));
            ms.dead_share.y.push_back(0.05 * u(rng));
            if (step % 5 == 0) {
                ms.val_loss.x.push_back(step);
                ms.val_loss.y.push_back(5.6 - 0.1 * step + 0.1 * u(rng));
            }
        }
        for (int l = 0; l < 2; ++l) {
            LayerSnapshot L;
            L.layer = l;
            L.n_routed = sh.n_routed;
            L.n_shared = sh.n_shared;
            L.top_k = sh.top_k;
            std::vector<double> load(std::size_t(sh.n_routed)), prob(load.size());
            for (auto& v : load) v = u(rng);
            load[1] = 0;  // a dead expert
            for (auto& v : prob) v = u(rng);
            const double lt = std::accumulate(load.begin(), load.end(), 0.0);
            const double pt = std::accumulate(prob.begin(), prob.end(), 0.0);
            for (auto& v : load) v /= lt;
            for (auto& v : prob) v /= pt;
            L.load_fraction = load;
            L.mean_prob = prob;
            L.window_load_fraction = load;  // a window of one sample
            L.window_mean_prob = prob;
            L.window_samples = 1;
            for (double v : load) L.dead.push_back(v == 0);
            L.balance.layer = l;
            L.balance.imbalance = *std::max_element(load.begin(), load.end()) * sh.n_routed;
            L.balance.load_cv = 0.5 + 0.1 * l;
            L.balance.dead_experts = 1;
            for (int d = 0; d < 3; ++d) {
                std::vector<double> row(std::size_t(sh.n_routed));
                for (auto& v : row) v = std::floor(100 * u(rng));
                L.domain_load.push_back(row);
            }
            for (int t = 0; t < 5; ++t) {
                L.util_steps.push_back(10.0 * (t + 1));
                std::vector<double> row(std::size_t(sh.n_routed));
                for (auto& v : row) v = u(rng) / sh.n_routed;
                L.util_rows.push_back(row);
                if (m == 0) {  // A balances with noaux_tc's selection bias, B greedily (no bias)
                    L.bias_steps.push_back(10.0 * (t + 1));
                    std::vector<double> bias(std::size_t(sh.n_routed));
                    for (auto& v : bias) v = 0.02 * (u(rng) - 0.5) * (t + 1);
                    L.bias_rows.push_back(bias);
                }
            }
            ms.layers.push_back(L);

            if (!plane) {
                ProbeLayer P;
                P.layer = l;
                for (int t = 0; t < tokens; ++t) {
                    std::vector<float> sc(std::size_t(sh.n_routed));
                    for (auto& v : sc) v = float(u(rng) * (m == 1 ? 3.0 : 1.0) * (l == 1 ? 0.5 : 1.0));
                    const float tot = std::accumulate(sc.begin(), sc.end(), 0.0f);
                    for (auto& v : sc) v /= tot;
                    if (m == 1) sc[0] += 0.5f;  // B's maximum differs from A's
                    std::vector<int> idx(sc.size());
                    std::iota(idx.begin(), idx.end(), 0);
                    std::stable_sort(idx.begin(), idx.end(),
                                     [&](int a, int b) { return sc[std::size_t(a)] > sc[std::size_t(b)]; });
                    idx.resize(std::size_t(sh.top_k));
                    std::vector<float> w;
                    for (int i : idx) w.push_back(sc[std::size_t(i)]);
                    const float wt = std::accumulate(w.begin(), w.end(), 0.0f);
                    for (auto& v : w) v /= wt;
                    P.scores.push_back(sc);
                    P.topk_idx.push_back(idx);
                    P.topk_weight.push_back(w);
                    P.shared_share.push_back(sh.n_shared > 0 ? float(0.3 + 0.1 * u(rng)) : 0.0f);
                }
                ms.probe.push_back(P);
            }
        }
        ms.final_val_loss = ms.val_loss.y.back();
        add_devices(ms, m == 0 ? 4 : 2, seed * 2 + unsigned(m));
        ms.probe_text = plane ? std::string() : probe_text;
        if (plane) {
            PlaneSnapshot& p = ms.plane;
            p.grid = 8;
            p.n_classes = 2;
            for (int l = 0; l < 2; ++l) {
                std::vector<int> top1;
                for (int j = 0; j < p.grid; ++j)
                    for (int i = 0; i < p.grid; ++i)
                        top1.push_back(int((i / 2 + j / 3 + l + m + int(seed)) % sh.n_routed));
                p.top1_expert.push_back(top1);
            }
            for (int j = 0; j < p.grid; ++j)
                for (int i = 0; i < p.grid; ++i) p.predicted_class.push_back(i + j < p.grid ? 0 : 1);
            for (int k = 0; k < 12; ++k) {
                const double x = -1.4 + 2.8 * u(rng), y = -1.4 + 2.8 * u(rng);
                p.points.push_back(float(x));
                p.points.push_back(float(y));
                p.labels.push_back(x + y < 0 ? 0 : 1);
            }
        }
    }
    return s;
}

// CSV text as rows of fields (no quoted commas in the numbers; the routing char field is parsed properly).
std::vector<QStringList> parse_csv(const QString& text) {
    std::vector<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row << field;
            field.clear();
        } else if (c == '\n') {
            row << field;
            field.clear();
            rows.push_back(row);
            row.clear();
        } else {
            field += c;
        }
    }
    return rows;
}

class ViewsTest : public ::testing::Test {
protected:
    void SetUp() override { app(); }
};

// The views of the fixed validation set and of the probes (tests/test_ui_eval_views.cpp, test_ui_probes.cpp): the
// hand-made snapshots here have no evaluation or probe results, so those views show only their header.
bool needs_evaluation(const QString& id) { return id == "specialisation" || id == "coactivation" || id == "probes"; }

View* find_view(const std::vector<View*>& views, const QString& id) {
    for (View* v : views)
        if (v->id() == id) return v;
    return nullptr;
}

QByteArray read_all(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Shows a view at a fixed size and lets the plot lay itself out, so pixel <-> data mappings are real.
void show_and_layout(QWidget* view, QCustomPlot* plot) {
    view->resize(1000, 700);
    view->show();
    QApplication::processEvents();
    plot->replot(QCustomPlot::rpImmediateRefresh);
}

TEST_F(ViewsTest, FactoryCreatesEveryViewInOrder) {
    QWidget parent;
    const std::vector<View*> views = create_all_views(&parent);
    QStringList ids;
    for (const View* v : views) {
        ids << v->id();
        EXPECT_FALSE(v->title().isEmpty()) << v->id().toStdString();
        EXPECT_GT(v->explanation().size(), 100) << v->id().toStdString();
        EXPECT_EQ(v->parent(), &parent);
    }
    EXPECT_EQ(ids, (QStringList{"loss", "aux_loss", "utilisation", "utilisation_over_time", "selection_bias",
                                "routing", "domains",
                                "specialisation", "coactivation", "plane", "traffic", "probes", "training",
                                "accounting"}));
}

TEST_F(ViewsTest, ExportWritesValidFilesAndNoTemporaries) {
    QWidget parent;
    const std::vector<View*> views = create_all_views(&parent);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    for (bool plane : {false, true}) {
        const SnapshotPtr snap = make_snapshot(plane ? 2 : 1, 7, plane);
        for (View* v : views) {
            SCOPED_TRACE(v->id().toStdString() + (plane ? " (2-D)" : " (LM)"));
            v->setSnapshot(snap);
            QString error;
            // Twice: the second export replaces the files of the first.
            ASSERT_TRUE(v->exportTo(dir.path(), &error)) << error.toStdString();
            ASSERT_TRUE(v->exportTo(dir.path(), &error)) << error.toStdString();
            const QString base = QDir(dir.path()).filePath(v->id());

            const QByteArray png = read_all(base + ".png");
            ASSERT_TRUE(png.startsWith("\x89PNG\r\n\x1a\n"));
            QImage image;
            ASSERT_TRUE(image.loadFromData(png, "PNG"));
            EXPECT_GT(image.width(), 100);
            EXPECT_GT(image.height(), 100);

            QXmlStreamReader xml(read_all(base + ".svg"));
            QString root;
            while (!xml.atEnd()) {
                xml.readNext();
                if (xml.isStartElement() && root.isEmpty()) root = xml.name().toString();
            }
            EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
            EXPECT_EQ(root, "svg");

            const QByteArray pdf = read_all(base + ".pdf");
            EXPECT_TRUE(pdf.startsWith("%PDF"));
            EXPECT_GT(pdf.size(), 500);

            const QString csv = QString::fromUtf8(read_all(base + ".csv"));
            EXPECT_EQ(csv, v->csv());
            // Figures are ordinary files, as readable as the CSV (not owner-only like a temporary).
            EXPECT_EQ(QFileInfo(base + ".png").permissions(), QFileInfo(base + ".csv").permissions());
            EXPECT_EQ(QFileInfo(base + ".pdf").permissions(), QFileInfo(base + ".csv").permissions());
            const bool no_data = (plane && v->id() == "routing") || (!plane && v->id() == "plane") ||
                                 needs_evaluation(v->id());
            EXPECT_EQ(csv.count('\n') > 1, !no_data) << "header, and rows when the task has such data";
        }
    }
    // Exactly the four files of each view: every temporary was renamed or removed.
    const QStringList files = QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
    EXPECT_EQ(files.size(), int(views.size()) * 4) << files.join(' ').toStdString();
    for (const QString& f : files) EXPECT_FALSE(f.startsWith('.')) << f.toStdString();
}

TEST_F(ViewsTest, ExportReportsAnUnwritableFolder) {
    QTemporaryDir dir;
    const QString blocker = QDir(dir.path()).filePath("not_a_folder");
    QFile f(blocker);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("x");
    f.close();
    QWidget parent;
    for (View* v : create_all_views(&parent)) {
        v->setSnapshot(make_snapshot(1, 3));
        QString error;
        EXPECT_FALSE(v->exportTo(QDir(blocker).filePath("sub"), &error)) << v->id().toStdString();
        EXPECT_FALSE(error.isEmpty());
    }
}

// Odd but possible snapshots: nothing trained yet, a dense model (no MoE layer), B with fewer MoE layers than A
// and the layer selector past B's last; no snapshot at all.
TEST_F(ViewsTest, EmptyDenseAndMismatchedSnapshotsAreShownAndExported) {
    auto empty = std::make_shared<Snapshot>();
    empty->serial = 1;
    auto dense = std::make_shared<Snapshot>(*make_snapshot(2, 4));
    dense->models[1].layers.clear();
    dense->models[1].probe.clear();
    dense->models[1].config.model.n_routed_experts = 0;
    auto first = std::make_shared<Snapshot>(*make_snapshot(4, 6));  // the first routing sample of a run
    for (ModelSnapshot& ms : first->models)
        for (LayerSnapshot& l : ms.layers) {
            l.util_rows.resize(1);
            l.util_steps.resize(1);
        }
    auto fewer = std::make_shared<Snapshot>(*make_snapshot(3, 5));
    fewer->models[1].layers.pop_back();
    fewer->models[1].probe.pop_back();
    QWidget parent;
    QTemporaryDir dir;
    for (View* v : create_all_views(&parent)) {
        SCOPED_TRACE(v->id().toStdString());
        if (auto* pv = dynamic_cast<PlotView*>(v)) pv->setLayerIndex(1);
        for (const SnapshotPtr& snap :
             {SnapshotPtr(empty), SnapshotPtr(dense), SnapshotPtr(first), SnapshotPtr(fewer), SnapshotPtr()}) {
            v->setSnapshot(snap);
            QString error;
            EXPECT_TRUE(v->exportTo(dir.path(), &error)) << error.toStdString();
            EXPECT_TRUE(v->csv().endsWith('\n'));
        }
    }
    UtilisationView util;
    util.setSnapshot(dense);
    EXPECT_TRUE(util.panelTitle(0).contains("MaxVio")) << util.panelTitle(0).toStdString();
    RoutingView routing;
    routing.setLayerIndex(1);
    routing.setSnapshot(fewer);
    EXPECT_TRUE(routing.note(0).isEmpty());
    EXPECT_EQ(routing.note(1), "no MoE layer here");
    routing.setSnapshot(dense);
    EXPECT_TRUE(routing.note(1).contains("dense model")) << routing.note(1).toStdString();
}

// Before its first step an MoE model has no statistics yet: the views say so (not "dense model"), and the layer
// selectors already name the configuration's MoE layers rather than staying blank.
TEST_F(ViewsTest, AnMoEModelBeforeItsFirstStepIsNotCalledDenseAndItsLayersAreNamed) {
    auto start = std::make_shared<Snapshot>(*make_snapshot(1, 2));
    start->step = 0;
    for (ModelSnapshot& ms : start->models) {
        ms.layers.clear();
        ms.probe.clear();
        ms.config.model.num_hidden_layers = 3;
        ms.config.model.first_k_dense_replace = 1;  // MoE layers 1 and 2
    }
    QWidget parent;
    int boxes = 0, notes = 0;
    for (View* v : create_all_views(&parent)) {
        SCOPED_TRACE(v->id().toStdString());
        v->setSnapshot(start);
        v->refresh();
        if (auto* box = v->findChild<QComboBox*>("layer")) {
            ++boxes;
            QStringList items;
            for (int i = 0; i < box->count(); ++i) items << box->itemText(i);
            EXPECT_EQ(items, (QStringList{"layer 1", "layer 2"}));
        }
        if (auto* heatmap = dynamic_cast<HeatmapView*>(v))
            for (int m = 0; m < 2; ++m) {
                EXPECT_FALSE(heatmap->note(m).contains("dense")) << heatmap->note(m).toStdString();
                notes += heatmap->note(m).contains("no step yet");
            }
    }
    EXPECT_GE(boxes, 5);  // routing, utilisation, domains, co-activation, plane, ...
    EXPECT_GE(notes, 2);
    RoutingView routing;
    routing.setSnapshot(start);
    EXPECT_TRUE(routing.note(0).contains("no step yet")) << routing.note(0).toStdString();
    // A dense model is still called one.
    auto dense = std::make_shared<Snapshot>(*start);
    dense->serial = 2;
    dense->models[1].config.model.n_routed_experts = 0;
    routing.setSnapshot(dense);
    EXPECT_TRUE(routing.note(1).contains("dense model")) << routing.note(1).toStdString();
}

// The domain views explain their rows in the dataset's terms: the 2-D lessons have classes, not prose and code, and
// the panel's text follows a lesson that changes the dataset.
TEST_F(ViewsTest, DomainExplanationsSpeakOfTheDatasetsOwnDomains) {
    QWidget parent;
    for (View* v : create_all_views(&parent)) {
        if (v->id() != "domains" && v->id() != "specialisation") continue;
        SCOPED_TRACE(v->id().toStdString());
        int changes = 0;
        QObject::connect(v, &View::explanationChanged, [&] { ++changes; });
        v->setSnapshot(make_snapshot(1, 2, false));
        v->refresh();
        EXPECT_TRUE(v->explanation().contains("prose")) << v->explanation().toStdString();
        const int text_changes = changes;
        v->setSnapshot(make_snapshot(2, 2, true));  // the 2-D plane: classes
        v->refresh();
        EXPECT_FALSE(v->explanation().contains("prose")) << v->explanation().toStdString();
        EXPECT_FALSE(v->explanation().contains("code")) << v->explanation().toStdString();
        EXPECT_TRUE(v->explanation().contains("class")) << v->explanation().toStdString();
        EXPECT_EQ(changes, text_changes + 1);
    }
}

TEST_F(ViewsTest, UtilisationCsvHasTheSnapshotNumbers) {
    QWidget parent;
    UtilisationView view(&parent);
    const SnapshotPtr snap = make_snapshot(1, 11);
    view.setSnapshot(snap);
    const auto rows = parse_csv(view.csv());
    ASSERT_EQ(rows[0], (QStringList{"model", "layer", "expert", "load_fraction", "relative_load", "mean_prob", "dead",
                                    "window_load_fraction", "window_relative_load", "window_mean_prob",
                                    "window_samples"}));
    std::size_t r = 1;
    for (int m = 0; m < 2; ++m)
        for (const LayerSnapshot& l : snap->models[std::size_t(m)].layers)
            for (int e = 0; e < l.n_routed; ++e, ++r) {
                ASSERT_LT(r, rows.size());
                EXPECT_EQ(rows[r][0], m == 0 ? "A" : "B");
                EXPECT_EQ(rows[r][1].toInt(), l.layer);
                EXPECT_EQ(rows[r][2].toInt(), e);
                EXPECT_EQ(rows[r][3].toDouble(), l.load_fraction[std::size_t(e)]);  // exact: shortest round-trip
                EXPECT_EQ(rows[r][4].toDouble(), l.load_fraction[std::size_t(e)] * l.n_routed);  // load / balanced load
                EXPECT_EQ(rows[r][5].toDouble(), l.mean_prob[std::size_t(e)]);
                EXPECT_EQ(rows[r][6], l.dead[std::size_t(e)] ? "1" : "0");
                EXPECT_EQ(rows[r][7].toDouble(), l.window_load_fraction[std::size_t(e)]);
                EXPECT_EQ(rows[r][10].toInt(), l.window_samples);
            }
    EXPECT_EQ(r, rows.size());
    // MaxVio of the relative loads f_i N_r: max_i f_i N_r - 1.
    const auto& l0 = snap->models[0].layers[0].load_fraction;
    const double vio = *std::max_element(l0.begin(), l0.end()) * 8 - 1;
    EXPECT_TRUE(view.panelTitle(0).contains(QString("MaxVio %1 · 1 dead of 8").arg(vio, 0, 'f', 2)))
        << view.panelTitle(0).toStdString();
}

TEST_F(ViewsTest, RoutingCsvHasEveryTokenExpertPairAndTheChosenFlags) {
    QWidget parent;
    RoutingView view(&parent);
    const SnapshotPtr snap = make_snapshot(1, 5);
    view.setSnapshot(snap);
    const auto rows = parse_csv(view.csv());
    ASSERT_EQ(rows[0], (QStringList{"model", "layer", "token", "char", "expert", "score", "relative_score", "chosen"}));
    std::size_t r = 1;
    for (int m = 0; m < 2; ++m) {
        const ModelSnapshot& ms = snap->models[std::size_t(m)];
        for (const ProbeLayer& pl : ms.probe) {
            const std::size_t T = pl.scores.size(), N = pl.scores[0].size();
            for (std::size_t t = 0; t < T; ++t)
                for (std::size_t e = 0; e < N; ++e, ++r) {
                    ASSERT_LT(r, rows.size());
                    const QStringList& row = rows[r];
                    EXPECT_EQ(row[0], m == 0 ? "A" : "B");
                    EXPECT_EQ(row[1].toInt(), pl.layer);
                    EXPECT_EQ(row[2].toUInt(), t);
                    EXPECT_EQ(row[4].toUInt(), e);
                    EXPECT_EQ(row[5].toFloat(), pl.scores[t][e]);
                    EXPECT_EQ(row[6].toDouble(), double(pl.scores[t][e]) * double(N)) << "s_i N_r";
                    const bool chosen = std::count(pl.topk_idx[t].begin(), pl.topk_idx[t].end(), int(e)) > 0;
                    EXPECT_EQ(row[7], chosen ? "1" : "0");
                }
        }
    }
    EXPECT_EQ(r, rows.size()) << "T * N_r rows per model and layer";
    // Visible forms of the probe bytes "ab c,\nde": the space, the comma (quoted in the CSV) and the newline.
    EXPECT_EQ(rows[1][3], "a");
    EXPECT_EQ(rows[1 + 2 * 8][3], QString::fromUtf8("␣"));
    EXPECT_EQ(rows[1 + 4 * 8][3], ",");
    EXPECT_EQ(rows[1 + 5 * 8][3], "\\n");
}

TEST_F(ViewsTest, ANewSnapshotChangesEveryCsvAndTheSameSerialIsSkipped) {
    QWidget parent;
    const std::vector<View*> views = create_all_views(&parent);
    for (bool plane : {false, true}) {
        for (View* v : views) v->setSnapshot(make_snapshot(10, 1, plane));
        std::vector<QString> before;
        for (View* v : views) before.push_back(v->csv());
        // Same serial, different numbers: already drawn, ignored.
        for (View* v : views) v->setSnapshot(make_snapshot(10, 2, plane));
        for (std::size_t i = 0; i < views.size(); ++i)
            EXPECT_EQ(views[i]->csv(), before[i]) << views[i]->id().toStdString();
        for (View* v : views) v->setSnapshot(make_snapshot(11, 2, plane));
        for (std::size_t i = 0; i < views.size(); ++i) {
            const QString id = views[i]->id();
            if ((plane && (id == "routing" || id == "domains")) || (!plane && id == "plane") || needs_evaluation(id))
                continue;  // no data
            EXPECT_NE(views[i]->csv(), before[i]) << id.toStdString();
        }
    }
}

// A probe longer than a line wraps like a paragraph: lines of equal length, each byte's column wide enough for its
// letter, A's and B's columns at the same x, and every cell found again where it is drawn, on any line.
TEST_F(ViewsTest, ALongProbeWrapsIntoLinesAndEveryCellIsFoundWhereItIsDrawn) {
    const int tokens = 400;
    std::string text(tokens, 'a');
    for (int t = 0; t < tokens; ++t) text[std::size_t(t)] = "Wmi .,\n{}"[t % 9];
    const SnapshotPtr snap = make_snapshot(1, 4, false, {Shape{63, 1, 7}, Shape{16, 0, 2}}, tokens, text);
    RoutingView view;
    view.setSnapshot(snap);
    show_and_layout(&view, view.plot());
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    const int per = view.tokensPerLine();
    const int lines = view.lineCount(0);
    EXPECT_GT(lines, 1);
    EXPECT_EQ(view.lineCount(1), lines);
    EXPECT_GE(per * lines, tokens);
    EXPECT_LT(per * (lines - 1), tokens) << "no empty line";
    EXPECT_LT(per * lines - tokens, lines) << "lines of equal length, not a stub at the end";
    const QCPAxis* x = view.colourMap(0)->keyAxis();
    const double pitch = x->axisRect()->width() / double(per);
    const QFontMetrics metrics(x->tickLabelFont());
    for (int t = 0; t < per; ++t)
        EXPECT_LE(metrics.horizontalAdvance(token_glyph(text, t)), pitch) << "byte " << t << " wider than its column";
    const auto [lower, upper] = view.colourRange(0);
    struct Probe {
        int model, token, expert;
    };
    for (const Probe c : {Probe{0, 0, 0}, Probe{0, per + 3, 62}, Probe{1, tokens - 1, 15}, Probe{1, 2 * per, 7}}) {
        SCOPED_TRACE(testing::Message() << "model " << c.model << " token " << c.token << " expert " << c.expert);
        const auto cell = view.cellAt(view.cellCentre(c.model, c.token, c.expert));
        ASSERT_TRUE(cell.has_value());
        EXPECT_EQ(cell->model, c.model);
        EXPECT_EQ(cell->token, c.token);
        EXPECT_EQ(cell->expert, c.expert);
        const ProbeLayer& pl = snap->models[std::size_t(c.model)].probe[0];
        const double relative = double(pl.scores[std::size_t(c.token)][std::size_t(c.expert)]) * (c.model == 0 ? 63 : 16);
        EXPECT_NEAR(view.shownValue(c.model, c.token, c.expert), std::clamp(relative, lower, upper), 1e-6);
        EXPECT_DOUBLE_EQ(view.cellCentre(0, c.token, 0).x(), view.cellCentre(1, c.token, 0).x()) << "columns line up";
    }
    // The tail of the last line holds no byte: a click there finds nothing.
    if (per * lines > tokens) {
        const QPointF tail = view.cellCentre(0, tokens - 1, 3) + QPointF(pitch, 0);
        EXPECT_FALSE(view.cellAt(tail).has_value());
    }
}

// The token in the inspector is outlined in both maps, on its own line; none is outlined once it is cleared.
TEST_F(ViewsTest, TheInspectedTokenIsOutlinedInAAndB) {
    const int tokens = 300;
    const std::string text(tokens, 'x');
    RoutingView view;
    view.setSnapshot(make_snapshot(1, 4, false, {Shape{63, 1, 7}, Shape{16, 0, 2}}, tokens, text));
    show_and_layout(&view, view.plot());
    EXPECT_TRUE(view.inspectedOutline(0).isEmpty());
    const int token = view.tokensPerLine() + 5;  // on the second line
    view.setInspectedToken(token);
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    for (int m = 0; m < 2; ++m) {
        const QRectF outline = view.inspectedOutline(m);
        ASSERT_FALSE(outline.isEmpty()) << m;
        for (int e : {0, m == 0 ? 62 : 15}) EXPECT_TRUE(outline.contains(view.cellCentre(m, token, e))) << m;
        EXPECT_FALSE(outline.contains(view.cellCentre(m, token + 1, 0))) << "one column only";
        EXPECT_FALSE(outline.contains(view.cellCentre(m, token - view.tokensPerLine(), 0))) << "on its own line";
    }
    view.setInspectedToken(-1);
    EXPECT_TRUE(view.inspectedOutline(0).isEmpty());
    EXPECT_TRUE(view.inspectedOutline(1).isEmpty());
}

// Where a plot does not zoom, the mouse wheel scrolls a plot taller than its view instead of being swallowed.
TEST_F(ViewsTest, TheWheelScrollsAPlotTallerThanItsView) {
    const int tokens = 600;
    RoutingView view;
    view.setSnapshot(make_snapshot(1, 4, false, {Shape{63, 1, 7}, Shape{16, 0, 2}}, tokens, std::string(tokens, 'q')));
    view.resize(700, 320);
    view.show();
    QApplication::processEvents();
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QApplication::processEvents();
    auto* scroll = view.findChild<QScrollArea*>();
    ASSERT_NE(scroll, nullptr);
    ASSERT_GT(scroll->verticalScrollBar()->maximum(), 0) << "the plot is taller than the view";
    EXPECT_EQ(scroll->verticalScrollBar()->value(), 0);
    const QPointF at(view.plot()->width() / 2.0, 100);
    QWheelEvent wheel(at, view.plot()->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.plot(), &wheel);
    EXPECT_GT(scroll->verticalScrollBar()->value(), 0);
}

// In a narrow dock, 63 experts' bars are thinner than a line of text: labels of neighbouring chosen experts would
// overlap, so only the heavier of two close ones keeps its label (the header lists every weight), and the header
// shows the token in its text.
TEST_F(ViewsTest, InspectorWeightLabelsDoNotOverlap) {
    auto snap = std::make_shared<Snapshot>(*make_snapshot(1, 4, false, {Shape{63, 1, 7}, Shape{16, 0, 2}}, 7,
                                                          "abcdefg"));
    ProbeLayer& pl = snap->models[0].probe[0];
    pl.topk_idx[3] = {20, 21, 22, 23, 40, 5, 6};
    pl.topk_weight[3] = {0.1f, 0.3f, 0.15f, 0.05f, 0.2f, 0.12f, 0.08f};
    TokenInspector inspector;
    inspector.resize(330, 420);
    inspector.show();
    inspector.showToken(snap, 0, 0, 3);
    QApplication::processEvents();
    inspector.plot()->replot(QCustomPlot::rpImmediateRefresh);
    std::vector<std::pair<double, QString>> shown;
    double room = 0;
    for (int i = 0; i < inspector.plot()->itemCount(); ++i)
        if (auto* label = qobject_cast<QCPItemText*>(inspector.plot()->item(i)); label && label->visible()) {
            shown.emplace_back(label->position->pixelPosition().x(), label->text());
            room = QFontMetrics(label->font()).height();
        }
    ASSERT_GE(shown.size(), 3u);
    EXPECT_LT(shown.size(), 7u) << "bars this thin cannot all carry a label";
    for (std::size_t i = 0; i < shown.size(); ++i)
        for (std::size_t j = i + 1; j < shown.size(); ++j)
            EXPECT_GE(std::abs(shown[i].first - shown[j].first), room)
                << shown[i].second.toStdString() << " over " << shown[j].second.toStdString();
    const bool heaviest = std::any_of(shown.begin(), shown.end(), [](const auto& s) { return s.second == "w 0.30"; });
    EXPECT_TRUE(heaviest) << "expert 21 (w 0.30) keeps its label";
    EXPECT_TRUE(inspector.summary().contains("abc[d]efg")) << inspector.summary().toStdString();
}

TEST_F(ViewsTest, ClickingARoutingCellEmitsTheToken) {
    RoutingView view;
    view.setSnapshot(make_snapshot(1, 9));
    view.setLayerIndex(1);
    show_and_layout(&view, view.plot());
    int got_model = -1, got_layer = -1, got_token = -1;
    QObject::connect(&view, &View::tokenClicked, [&](int m, int l, int t) {
        got_model = m;
        got_layer = l;
        got_token = t;
    });
    const QPointF at = view.cellCentre(1, 3, 2);
    const auto cell = view.cellAt(at);
    ASSERT_TRUE(cell.has_value());
    EXPECT_EQ(cell->expert, 2);
    send_click(view.plot(), at);
    EXPECT_EQ(got_model, 1);
    EXPECT_EQ(got_layer, 1);
    EXPECT_EQ(got_token, 3);

    got_model = -1;
    send_click(view.plot(), view.cellCentre(0, 6, 7));  // last token, last expert of A
    EXPECT_EQ(got_model, 0);
    EXPECT_EQ(got_token, 6);
    got_model = -1;
    send_click(view.plot(), QPointF(2, 2));  // the margin: nothing
    EXPECT_EQ(got_model, -1);
}

// A and B always share one colour range: the selected layer's over both models, or (global normalisation) every
// layer's of both. The relative maps (load over time, domains, routing) centre it on 1; the traffic counts start at 0.
TEST_F(ViewsTest, GlobalNormalisationSharesOneColourRange) {
    QWidget parent;
    const std::vector<View*> views = create_all_views(&parent);
    const SnapshotPtr snap = make_snapshot(1, 4);
    for (const QString id : {"routing", "domains", "utilisation_over_time", "traffic"}) {
        SCOPED_TRACE(id.toStdString());
        auto* v = dynamic_cast<HeatmapView*>(find_view(views, id));
        ASSERT_NE(v, nullptr);
        v->setSnapshot(snap);
        v->setLayerIndex(1);
        v->setGlobalNormalisation(false);
        const auto a = v->colourRange(0), b = v->colourRange(1);
        EXPECT_EQ(a, b) << "per layer: one range for A and B";
        v->setGlobalNormalisation(true);
        const auto ga = v->colourRange(0), gb = v->colourRange(1);
        EXPECT_EQ(ga, gb);
        EXPECT_GE(ga.second, a.second);
        if (id == "routing")
            EXPECT_DOUBLE_EQ(ga.first * ga.second, 1.0) << "a log scale centred at 1";
        else
            EXPECT_EQ(ga.first, 0.0);
    }
    // Traffic counts: the largest cell of layer 1 over both models, then of every layer.
    auto* traffic = dynamic_cast<HeatmapView*>(find_view(views, "traffic"));
    traffic->setGlobalNormalisation(false);
    double layer1 = 0, every = 0;
    for (const ModelSnapshot& ms : snap->models)
        for (const LayerSnapshot& l : ms.layers)
            for (const auto& row : l.traffic)
                for (double c : row) {
                    every = std::max(every, c);
                    if (l.layer == 1) layer1 = std::max(layer1, c);
                }
    EXPECT_EQ(traffic->colourRange(1).second, layer1);
    traffic->setGlobalNormalisation(true);
    EXPECT_EQ(traffic->colourRange(0).second, every);
    // The routing map holds s_i N_r; on the linear scale its top is the largest over A and B, rounded up.
    auto* routing = dynamic_cast<RoutingView*>(find_view(views, "routing"));
    routing->setGlobalNormalisation(false);
    routing->setLayerIndex(0);
    routing->setColourScale(HeatmapView::ColourScale::Linear);
    double largest = 0;
    for (const ModelSnapshot& ms : snap->models)
        for (const auto& row : ms.probe[0].scores)
            for (float sc : row) largest = std::max(largest, double(sc) * double(row.size()));
    EXPECT_EQ(routing->colourRange(0), routing->colourRange(1));
    EXPECT_GE(routing->colourRange(1).second, largest);
    EXPECT_LT(routing->colourRange(1).second, 1.3 * largest);
    QCPColorMapData* data = routing->colourMap(1)->data();  // one column per byte, one row per expert
    EXPECT_EQ(data->keySize(), 7);
    EXPECT_EQ(data->valueSize(), 4);
    EXPECT_DOUBLE_EQ(data->cell(5, 2), double(snap->models[1].probe[0].scores[5][2]) * 4);
}

TEST_F(ViewsTest, PlaneShowsANoteForLanguageModelsAndFillsTheMapFor2D) {
    PlaneView view;
    view.setSnapshot(make_snapshot(1, 3, false));
    EXPECT_TRUE(view.note(0).contains("2-D tasks only")) << view.note(0).toStdString();
    EXPECT_TRUE(view.note(1).contains("2-D tasks only"));
    EXPECT_EQ(view.colourMap(0)->data()->keySize(), 0);

    const SnapshotPtr snap = make_snapshot(2, 3, true);
    view.setSnapshot(snap);
    view.setLayerIndex(1);
    EXPECT_TRUE(view.note(0).isEmpty());
    QCPColorMapData* data = view.colourMap(0)->data();
    ASSERT_EQ(data->keySize(), 8);
    ASSERT_EQ(data->valueSize(), 8);
    const auto& top1 = snap->models[0].plane.top1_expert[1];
    for (int j = 0; j < 8; ++j)
        for (int i = 0; i < 8; ++i) EXPECT_EQ(int(data->cell(i, j)), top1[std::size_t(j * 8 + i)]);

    const auto rows = parse_csv(view.csv());
    ASSERT_EQ(rows[0], (QStringList{"model", "layer", "x", "y", "top1_expert", "predicted_class"}));
    EXPECT_EQ(rows.size(), 1u + 2 * 2 * 64);

    show_and_layout(&view, view.plot());
    int got_model = -1;
    double gx = 0, gy = 0;
    QObject::connect(&view, &View::planeClicked, [&](int m, double x, double y) {
        got_model = m;
        gx = x;
        gy = y;
    });
    send_click(view.plot(), view.pixelOf(1, 0.5, -0.75));
    EXPECT_EQ(got_model, 1);
    EXPECT_NEAR(gx, 0.5, 0.02);
    EXPECT_NEAR(gy, -0.75, 0.02);
}

// The 2-D plane reads at a glance: x and y on one scale, a diagonal class boundary drawn as a diagonal (not a
// staircase of cell edges), every sizeable region numbered with its expert (63 experts share 20 colours), class
// markers in no model's colour, a legend, and the clicked point marked until the run restarts.
TEST_F(ViewsTest, ThePlaneIsSquareNumberedAndMarksTheClickedPoint) {
    auto snap = std::make_shared<Snapshot>(*make_snapshot(1, 3, true));
    const int G = 24;
    for (ModelSnapshot& ms : snap->models) {
        PlaneSnapshot& p = ms.plane;
        p.grid = G;
        p.x0 = p.y0 = -1.5;
        p.x1 = p.y1 = 1.5;
        p.predicted_class.assign(std::size_t(G * G), 0);
        for (auto& top1 : p.top1_expert) top1.assign(std::size_t(G * G), 0);
        for (int j = 0; j < G; ++j)
            for (int i = 0; i < G; ++i) {
                p.predicted_class[std::size_t(j * G + i)] = i > j ? 1 : 0;  // the diagonal y = x
                // 63 experts in 9 x 7 blocks; experts 3 and 23 share a palette colour
                for (auto& top1 : p.top1_expert) top1[std::size_t(j * G + i)] = (i / 3) + 8 * (j / 4) + (i / 3 == 3);
            }
    }
    PlaneView view;
    view.resize(1200, 500);  // wide panels: the plane must not stretch
    view.setSnapshot(snap);
    show_and_layout(&view, view.plot());
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    for (int m = 0; m < 2; ++m) {
        const QPointF o = view.pixelOf(m, 0, 0), ex = view.pixelOf(m, 1, 0), ey = view.pixelOf(m, 0, 1);
        EXPECT_NEAR(std::abs(ex.x() - o.x()), std::abs(ey.y() - o.y()), 1.0) << "one unit of x as long as one of y";
    }
    // The boundary: mostly diagonal steps between cell centres.
    auto* boundary = view.plot()->findChildren<QCPCurve*>().front();
    int diagonal = 0, pieces = 0;
    for (auto it = boundary->data()->constBegin(); it + 1 != boundary->data()->constEnd(); ++it) {
        const auto next = it + 1;
        if (std::isnan(it->key) || std::isnan(next->key)) continue;
        ++pieces;
        diagonal += std::abs(next->key - it->key) > 1e-9 && std::abs(next->value - it->value) > 1e-9;
    }
    EXPECT_GT(pieces, 0);
    EXPECT_GT(diagonal, pieces / 2) << diagonal << " of " << pieces;
    const QStringList labels = view.regionLabels(0);
    EXPECT_TRUE(labels.contains("0") && labels.contains("4") && labels.contains("23")) << labels.join(",").toStdString();
    EXPECT_GE(labels.size(), 30);
    for (int c = 0; c < 4; ++c)
        for (int m = 0; m < 2; ++m) EXPECT_NE(class_colour(c), model_colour(m)) << "class " << c;
    QStringList legend;
    for (QCPAbstractLegendItem* item : view.plot()->findChildren<QCPAbstractLegendItem*>())
        if (auto* p = qobject_cast<QCPPlottableLegendItem*>(item)) legend << p->plottable()->name();
    EXPECT_TRUE(legend.contains("class 0") && legend.contains("class 1")) << legend.join(",").toStdString();
    EXPECT_EQ(legend.count("class 0"), 1) << "one set of class markers for A and B";

    EXPECT_FALSE(view.markedPoint().has_value());
    send_click(view.plot(), view.pixelOf(1, 0.5, -0.75));
    ASSERT_TRUE(view.markedPoint().has_value());
    EXPECT_EQ(view.markedPoint()->model, 1);
    EXPECT_NEAR(view.markedPoint()->x, 0.5, 0.02);
    auto restarted = std::make_shared<Snapshot>(*snap);
    restarted->serial = 99;
    restarted->step = 0;
    view.setSnapshot(restarted);
    view.refresh();
    EXPECT_FALSE(view.markedPoint().has_value()) << "a new run forgets the old click";
}

// The rectangles and embedded images of an SVG file: (width, height) of each image as stored (its pixels).
struct SvgContent {
    int rects = 0;
    std::vector<QSize> images;
};
SvgContent svg_content(const QByteArray& svg) {
    SvgContent out;
    QXmlStreamReader xml(svg);
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) continue;
        if (xml.name() == QLatin1String("rect")) ++out.rects;
        if (xml.name() == QLatin1String("image")) {
            const QString href = xml.attributes().value("xlink:href").toString();
            const qsizetype comma = href.indexOf(',');
            const QImage image = QImage::fromData(QByteArray::fromBase64(href.mid(comma + 1).toLatin1()));
            out.images.push_back(image.size());
        }
    }
    return out;
}

// Heatmaps stay sharp in SVG (Inkscape, rsvg and PDF viewers blur the one-pixel-per-cell image QCustomPlot embeds):
// a small map is drawn as vector rectangles, a large one as an image of the figure's own resolution.
TEST_F(ViewsTest, HeatmapsExportSharpToSvg) {
    QTemporaryDir dir;
    QString error;
    {
        RoutingView small;  // 8 and 4 experts x 7 tokens, every score different
        small.setSnapshot(make_snapshot(1, 4));
        ASSERT_TRUE(small.exportTo(dir.path(), &error)) << error.toStdString();
        const SvgContent svg = svg_content(read_all(QDir(dir.path()).filePath("routing.svg")));
        EXPECT_GE(svg.rects, 7 * 8 + 7 * 4) << "one rectangle per cell";
        // The colour scales' gradients are images; a map's one-pixel-per-cell image (8 or 4 experts x 7 tokens) is not.
        for (const QSize& image : svg.images)
            for (const QSize cells : {QSize(8, 7), QSize(7, 8), QSize(4, 7), QSize(7, 4)})
                EXPECT_NE(image, cells) << "a cell image";
    }
    {
        // 63 experts x 400 samples of load over time in A: more cells than are drawn one by one.
        auto snap = std::make_shared<Snapshot>(*make_snapshot(2, 4));
        LayerSnapshot& l = snap->models[0].layers[0];
        const int samples = 400;
        l.n_routed = 63;
        l.util_steps.clear();
        l.util_rows.clear();
        for (int s = 0; s < samples; ++s) {
            l.util_steps.push_back(10.0 * s);
            std::vector<double> row(63);
            for (int e = 0; e < 63; ++e) row[std::size_t(e)] = (1 + (s * 7 + e * 3) % 11) / (63.0 * 6);
            l.util_rows.push_back(row);
        }
        UtilisationTimeView large;
        large.setSnapshot(snap);
        ASSERT_GT(63 * samples, SharpColourMap::kMaxVectorCells);
        ASSERT_TRUE(large.exportTo(dir.path(), &error)) << error.toStdString();
        const SvgContent svg = svg_content(read_all(QDir(dir.path()).filePath("utilisation_over_time.svg")));
        int native = 0;  // images finer than A's map's cells: at least a pixel per sample, several per expert
        QStringList sizes;
        for (const QSize& image : svg.images) {
            native += image.width() >= samples && image.height() >= 4 * 63;
            sizes << QString("%1x%2").arg(image.width()).arg(image.height());
        }
        EXPECT_GE(native, 1) << sizes.join(", ").toStdString();
    }
}

TEST_F(ViewsTest, LossSmoothingChangesTheDisplayButNotTheData) {
    LossView view;
    const SnapshotPtr snap = make_snapshot(1, 8);
    view.setSnapshot(snap);
    const QString csv = view.csv();
    view.setSmoothing(0);
    const std::vector<double> raw = view.shownValues("A train");
    EXPECT_EQ(raw, snap->models[0].loss.y);
    view.setSmoothing(0.9);
    const std::vector<double> smooth = view.shownValues("A train");
    ASSERT_EQ(smooth.size(), raw.size());
    EXPECT_NE(smooth, raw);
    EXPECT_DOUBLE_EQ(smooth[1], 0.9 * raw[0] + 0.1 * raw[1]);
    EXPECT_EQ(view.shownValues("A validation"), snap->models[0].val_loss.y) << "sparse curves are not smoothed";
    EXPECT_EQ(view.csv(), csv);
    const auto rows = parse_csv(csv);
    ASSERT_EQ(rows[0], (QStringList{"step", "model", "train_loss", "val_loss"}));
    EXPECT_EQ(rows.size(), 1u + 2 * 20);
    EXPECT_EQ(rows[5][3].toDouble(), snap->models[0].val_loss.y[0]);  // step 5 has both
    EXPECT_TRUE(rows[4][3].isEmpty());

    view.setLogScale(true);
    EXPECT_TRUE(view.logScale());
    EXPECT_EQ(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    show_and_layout(&view, view.plot());
    const QCPGraph* g = nullptr;
    for (int i = 0; i < view.plot()->graphCount(); ++i)
        if (view.plot()->graph(i)->name() == "B validation") g = view.plot()->graph(i);
    ASSERT_NE(g, nullptr);
    const auto point = g->data()->at(2);
    const QPointF pixel(g->keyAxis()->coordToPixel(point->key), g->valueAxis()->coordToPixel(point->value));
    EXPECT_TRUE(view.hoverText(pixel).contains("step 15")) << view.hoverText(pixel).toStdString();
}

TEST_F(ViewsTest, AccountingShowsTheLadderClaim) {
    AccountingView view;
    view.setSnapshot(make_snapshot(1, 2));
    EXPECT_TRUE(view.ladderNote().contains("holds")) << view.ladderNote().toStdString();
    const auto rows = parse_csv(view.csv());
    ASSERT_EQ(rows[0], (QStringList{"model", "row", "total", "activated", "flops"}));
    EXPECT_EQ(rows[2], (QStringList{"A", "experts", "8192", "2048", "4096"}));
    EXPECT_EQ(view.table()->rowCount(), 7);

    auto other = std::make_shared<Snapshot>(*make_snapshot(2, 2));
    other->models[1].accounting.experts_total = 9000;
    view.setSnapshot(other);
    EXPECT_TRUE(view.ladderNote().contains("do not")) << view.ladderNote().toStdString();
}

// A background tab's table exported (as `moelab --export-dir` does with every view but the current one): the figure
// holds the heading, the whole table and the note, not a strip of the heading.
TEST_F(ViewsTest, AnAccountingViewNeverShownExportsTheWholeTable) {
    QWidget window;
    auto* view = new AccountingView(&window);
    window.show();  // the window is on screen, the view (a tab in the background) is not
    view->hide();
    QApplication::processEvents();
    view->setSnapshot(make_snapshot(1, 2));
    QTemporaryDir dir;
    QString error;
    ASSERT_TRUE(view->exportTo(dir.path(), &error)) << error.toStdString();
    const QImage png(QDir(dir.path()).filePath("accounting.png"));
    ASSERT_FALSE(png.isNull());
    const double scale = png.devicePixelRatio() > 1 ? 1.0 : 2.0;  // written at twice the widget's pixels
    EXPECT_GT(png.height() / scale, view->table()->height() + 40) << png.width() << "x" << png.height();
    EXPECT_GE(png.width() / scale, view->table()->width());
}

TEST_F(ViewsTest, InspectorSummaryListsTheChosenExpertsInOrder) {
    auto snap = std::make_shared<Snapshot>(*make_snapshot(1, 6));
    ProbeLayer& pl = snap->models[0].probe[1];
    pl.topk_idx[0] = {5, 2, 7};
    pl.topk_weight[0] = {0.45f, 0.33f, 0.22f};
    pl.shared_share[0] = 0.4f;
    TokenInspector inspector;
    inspector.showToken(snap, 0, 1, 0);
    EXPECT_EQ(inspector.summary().toStdString(),
              "token 'a' (layer 1, model A): top-3 experts 5 (w 0.45), 2 (w 0.33), 7 (w 0.22); shared share 0.40; "
              "in the text: [a]b␣c,↵de");
    inspector.showToken(snap, 1, 0, 5);
    EXPECT_TRUE(inspector.summary().startsWith("token '\\n' (layer 0, model B): top-2 experts "))
        << inspector.summary().toStdString();
    EXPECT_TRUE(inspector.summary().endsWith("(no shared experts)"));
    inspector.showToken(snap, 0, 9, 0);  // no such layer
    EXPECT_TRUE(inspector.summary().isEmpty());

    PointInspection point;
    point.model = 1;
    point.x = 0.25;
    point.y = -0.5;
    ProbeLayer one;
    one.layer = 0;
    one.scores = {{0.1f, 0.6f, 0.2f, 0.1f}};
    one.topk_idx = {{1, 2}};
    one.topk_weight = {{0.75f, 0.25f}};
    one.shared_share = {0.0f};
    point.layers = {one};
    point.class_probs = {0.9f, 0.1f};
    inspector.showPoint(point);
    EXPECT_TRUE(
        inspector.summary().startsWith("point (0.25, -0.50) (layer 0, model B): top-2 experts 1 (w 0.75), 2 (w 0.25)"))
        << inspector.summary().toStdString();
}

// The same data under a new serial (a snapshot the views have not drawn yet).
SnapshotPtr copy_with_serial(const SnapshotPtr& snap, uint64_t serial) {
    auto copy = std::make_shared<Snapshot>(*snap);
    copy->serial = serial;
    return copy;
}

// The lesson's sizes: A = 1 shared + top-7 of 63 routed experts, B = top-2 of 16; the lesson's probe text (about 100
// tokens); 5 domains; for 2-D, a 60 x 60 plane with 150 points in 3 classes.
SnapshotPtr realistic_snapshot(uint64_t serial, bool plane) {
    const std::string probe =
        "The teacher reads a story. for (int i = 0; i < n; ++i) { sum += i; } 12+30=42 ACGTTGCA <b>bold</b>";
    auto snap = std::make_shared<Snapshot>(
        *make_snapshot(serial, unsigned(21 + serial), plane, {Shape{63, 1, 7}, Shape{16, 0, 2}}, int(probe.size()), probe));
    snap->models[0].label = "DeepSeekMoE (1 shared + top-7 of 63)";
    snap->models[1].label = "GShard (top-2 of 16)";
    for (ModelSnapshot& ms : snap->models) {
        // A long run's curves: the session keeps at most ~2048 points per series.
        for (int step = 21; step <= 2000; ++step) {
            ms.loss.x.push_back(step);
            ms.loss.y.push_back(3.5 + 2.0 / std::sqrt(step) + 0.05 * std::sin(step * 0.7));
            ms.aux_loss.x.push_back(step);
            ms.aux_loss.y.push_back(0.021 + 0.002 * std::cos(step * 0.3));
            if (step % 50 == 0) {
                ms.val_loss.x.push_back(step);
                ms.val_loss.y.push_back(3.6 + 2.0 / std::sqrt(step));
            }
        }
        ms.domain_names = {"prose", "code", "arithmetic", "dna", "markup"};
        for (LayerSnapshot& l : ms.layers) {
            l.domain_load.clear();
            for (int d = 0; d < 5; ++d) {
                std::vector<double> row(std::size_t(l.n_routed));
                for (std::size_t e = 0; e < row.size(); ++e)
                    row[e] = double((e * 7 + std::size_t(d) * 13) % 17) + (e % 5 == std::size_t(d) ? 40 : 0);
                l.domain_load.push_back(row);
            }
        }
        if (plane) {
            ms.plane.grid = 60;
            ms.plane.n_classes = 3;
            for (auto& top1 : ms.plane.top1_expert) {
                top1.assign(3600, 0);
                for (int j = 0; j < 60; ++j)
                    for (int i = 0; i < 60; ++i)
                        top1[std::size_t(j * 60 + i)] =
                            int(std::atan2(j - 30.0, i - 30.0) * 2 + 7 + std::hypot(i - 30, j - 30) / 9) %
                            std::max(ms.config.model.n_routed_experts, 1);
            }
            ms.plane.predicted_class.assign(3600, 0);
            for (int j = 0; j < 60; ++j)
                for (int i = 0; i < 60; ++i)
                    ms.plane.predicted_class[std::size_t(j * 60 + i)] =
                        (std::hypot(i - 30, j - 30) < 12) ? 0 : (i > j ? 1 : 2);
            ms.plane.points.clear();
            ms.plane.labels.clear();
            std::mt19937 rng(3);
            std::uniform_real_distribution<float> u(-1.45f, 1.45f);
            for (int k = 0; k < 150; ++k) {
                const float x = u(rng), y = u(rng);
                ms.plane.points.push_back(x);
                ms.plane.points.push_back(y);
                ms.plane.labels.push_back(std::hypot(x, y) < 0.6f ? 0 : (x > y ? 1 : 2));
            }
        }
    }
    return snap;
}

// Views get up to 30 snapshots a second while training. A view in a background tab must not draw at all (it draws
// the newest snapshot once when shown), and a view on screen draws at most once per new snapshot, never for one it
// has already drawn. Counted, not timed: what an update costs is printed for the reader (a shared machine's clock is
// no test), and moelab --benchmark measures the app's update rate.
TEST_F(ViewsTest, UpdatesAreCheapAndHiddenViewsDefer) {
    std::vector<SnapshotPtr> snaps;
    for (uint64_t i = 0; i < 12; ++i) snaps.push_back(realistic_snapshot(100 + i, false));
    QWidget parent;
    for (View* v : create_all_views(&parent)) {
        SCOPED_TRACE(v->id().toStdString());
        v->setParent(nullptr);
        v->resize(1200, 720);
        const int before = v->drawCount();
        QElapsedTimer hidden;
        hidden.start();
        for (const SnapshotPtr& s : snaps) v->setSnapshot(s);
        const double hidden_ms = hidden.nsecsElapsed() / 1e6 / double(snaps.size());
        EXPECT_EQ(v->drawCount(), before) << "a hidden view drew";

        v->show();
        QApplication::processEvents();
        EXPECT_EQ(v->drawCount(), before + 1) << "shown: one draw of the newest snapshot";
        EXPECT_EQ(v->snapshot(), snaps.back());
        v->setSnapshot(snaps.back());  // already drawn
        EXPECT_EQ(v->drawCount(), before + 1) << "drew a snapshot it had drawn";

        std::vector<SnapshotPtr> again;  // the same data under new serials
        for (std::size_t i = 0; i < snaps.size(); ++i) again.push_back(copy_with_serial(snaps[i], 1000 + i));
        QElapsedTimer shown;
        shown.start();
        for (const SnapshotPtr& s : again) {
            v->setSnapshot(s);
            QApplication::processEvents();  // the queued replot and the paint
        }
        const double shown_ms = shown.nsecsElapsed() / 1e6 / double(again.size());
        EXPECT_EQ(v->drawCount(), before + 1 + int(again.size())) << "shown: one draw per new snapshot";
        std::printf("  %-22s shown %6.2f ms/update, hidden %6.3f ms/update\n", v->id().toUtf8().constData(), shown_ms,
                    hidden_ms);
        delete v;
    }
}

// ---- text that fits and scales ----------------------------------------------------------------------------------

QFont scaled_font(QFont font, double scale) {
    font.setPointSizeF(font.pointSizeF() * scale);
    return font;
}

// The two widest model labels of the bundled lessons, widest first: the longest titles a class will see.
std::pair<QString, QString> widest_lesson_labels() {
    QStringList labels;
    for (const QString& path : bundled_lessons()) {
        const Lesson lesson = load_lesson(path);
        labels << lesson.label_a << lesson.label_b;
    }
    labels.removeDuplicates();  // two lessons compare the same DeepSeekMoE
    QFont bold = QApplication::font();
    bold.setBold(true);
    const QFontMetricsF metrics(bold);
    std::sort(labels.begin(), labels.end(), [&](const QString& a, const QString& b) {
        return metrics.horizontalAdvance(a) > metrics.horizontalAdvance(b);
    });
    return {labels.value(0), labels.value(1)};
}

// A realistic snapshot whose models carry the widest lesson labels.
SnapshotPtr widest_labels_snapshot(uint64_t serial, bool plane) {
    auto snap = std::make_shared<Snapshot>(*realistic_snapshot(serial, plane));
    std::tie(snap->models[0].label, snap->models[1].label) = widest_lesson_labels();
    return snap;
}

// What the plot's last layout cuts off: a title line wider than its title, a title taller than its place, a legend item
// smaller than its icon and text, anything outside the plot. Empty when every text is whole.
QStringList clipped_text(QCustomPlot* plot) {
    QStringList problems;
    const QRect whole = plot->rect();
    for (const QCPTextElement* e : plot->findChildren<QCPTextElement*>()) {
        if (!e->realVisibility() || e->text().isEmpty()) continue;
        const QString shown = shown_text(e);
        const QFontMetricsF metrics(e->font());
        for (const QString& line : shown.split('\n'))
            if (metrics.horizontalAdvance(line) > e->rect().width() + 0.5)
                problems << QString("title line \"%1\": %2 px in %3 px")
                                .arg(line)
                                .arg(metrics.horizontalAdvance(line))
                                .arg(e->rect().width());
        const int height = QFontMetrics(e->font()).boundingRect(0, 0, 0, 0, Qt::TextDontClip, shown).height();
        if (height > e->rect().height())
            problems << QString("title \"%1\": %2 px tall in %3 px").arg(shown).arg(height).arg(e->rect().height());
        if (!whole.contains(e->outerRect())) problems << QString("title \"%1\" outside the plot").arg(shown);
    }
    for (QCPLegend* legend : plot->findChildren<QCPLegend*>()) {
        if (!legend->realVisibility()) continue;
        for (int i = 0; i < legend->itemCount(); ++i) {
            auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
            if (!item) continue;
            const QCPLayoutElement* element = item;
            const QString name = item->plottable()->name();
            const QSize needs = element->minimumOuterSizeHint(), has = item->outerRect().size();
            if (needs.width() > has.width() || needs.height() > has.height())
                problems << QString("legend item \"%1\": needs %2x%3 px, has %4x%5 px")
                                .arg(name)
                                .arg(needs.width())
                                .arg(needs.height())
                                .arg(has.width())
                                .arg(has.height());
            if (!whole.contains(item->outerRect())) problems << QString("legend item \"%1\" outside the plot").arg(name);
        }
    }
    return problems;
}

// Lays the plot out at its widget's size and reports what is cut off (empty: nothing).
std::string clipped_text_now(QCustomPlot* plot) {
    plot->replot(QCustomPlot::rpImmediateRefresh);
    return clipped_text(plot).join("; ").toStdString();
}

TEST_F(ViewsTest, WrappedTitlesBreakBetweenFactsAndKeepModelLettersWithTheirLabels) {
    QFont font = QApplication::font();
    font.setBold(true);
    const QFontMetricsF metrics(font);
    auto wrapped = [&](const QString& text, double width) {
        return wrap_title(text, font, int(std::ceil(width))).replace('\n', " | ").toStdString();
    };
    const QString title = "B · GShard (top-2 of 16)\nlayer 0 · max/mean 4.66 · CV 1.13 · 4 dead of 63";
    EXPECT_EQ(wrap_title(title, font, 0), title) << "not laid out yet: as given";
    EXPECT_EQ(wrap_title(title, font, 5000), title) << "wide enough: as given";

    EXPECT_EQ(wrapped(title, metrics.horizontalAdvance("layer 0 · max/mean 4.66 · CV 1.13")),
              "B · GShard (top-2 of 16) | layer 0 · max/mean 4.66 · CV 1.13 | 4 dead of 63")
        << "breaks between the facts, the separator dropped at the break";

    const QString label = "A · DeepSeekMoE (1 shared + top-7 of 63)";
    EXPECT_EQ(wrapped(label, metrics.horizontalAdvance("A · DeepSeekMoE (1 shared")),
              "A · DeepSeekMoE (1 shared | + top-7 of 63)")
        << "the letter stays with its label, and a label too wide breaks between words";

    // The loss view's heading: two labels apart, one a line when both do not fit.
    const QString heading = label + "      B · GShard (top-2 of 16)";
    EXPECT_EQ(wrapped(heading, metrics.horizontalAdvance(heading) - 10),
              "A · DeepSeekMoE (1 shared + top-7 of 63) | B · GShard (top-2 of 16)");

    // A word wider than the space: elided, never past the edge.
    const QStringList tiny = wrap_title("A · DeepSeekMoE", font, 40).split('\n');
    EXPECT_TRUE(tiny.join(' ').contains(QChar(0x2026))) << tiny.join('|').toStdString();
    for (const QString& line : tiny) EXPECT_LE(metrics.horizontalAdvance(line), 40.0) << line.toStdString();
}

// At 700 px (a window with the docks open, or a projector's lower resolution) every title, with the widest labels of
// the bundled lessons, and every legend is whole: at the normal size and in presentation mode (1.5x), in plots made
// while the window already had the larger font.
// Lets a shown plot settle: a layout at the current font, the minimum height its text needs, the scroll area's
// resize to it and the layout at the new size.
void settle(QCustomPlot* plot) {
    for (int round = 0; round < 4; ++round) {
        plot->replot(QCustomPlot::rpImmediateRefresh);
        QApplication::processEvents();
    }
    plot->replot(QCustomPlot::rpImmediateRefresh);
}

TEST_F(ViewsTest, TitlesAndLegendsAreWholeInAPlot700PxWide) {
    for (const double scale : {1.0, 1.5})
        for (const bool plane : {false, true}) {
            const SnapshotPtr snap = widest_labels_snapshot(1, plane);
            QWidget window;
            window.setFont(scaled_font(window.font(), scale));
            window.resize(708, 640);
            const std::vector<View*> views = create_all_views(&window);
            window.show();
            for (View* v : views) v->hide();
            for (View* v : views) {
                auto* view = dynamic_cast<PlotView*>(v);
                if (!view) continue;
                SCOPED_TRACE(QString("%1 %2 at %3x").arg(v->id(), plane ? "2-D" : "LM").arg(scale).toStdString());
                view->setGeometry(0, 0, 708, 640);
                view->setSnapshot(snap);
                view->show();
                settle(view->plot());  // a title wrapped to the width may need a taller plot: one more turn
                EXPECT_GE(view->plot()->width(), 680);
                EXPECT_LE(view->plot()->width(), 700);
                EXPECT_EQ(clipped_text_now(view->plot()), "");
                view->hide();
            }
        }
}

// The widest lesson labels on 8 simulated devices each, as in the device-limited lesson: the traffic view's largest
// matrices and longest titles.
SnapshotPtr eight_devices_snapshot(bool plane) {
    auto snap = std::make_shared<Snapshot>(*widest_labels_snapshot(1, plane));
    for (int m = 0; m < 2; ++m) {
        ModelSnapshot& ms = snap->models[std::size_t(m)];
        ms.dispatch_bytes = {};
        ms.remote_devices = {};
        add_devices(ms, 8, 40 + unsigned(m));
    }
    return snap;
}

// Presentation mode (1.5x text) in the space a view has in the usual 1400x900 window with the explanation open
// (940x450), and in a narrow one (708x640): no title, legend entry, axis label or note of any view is drawn over
// another, cut off or out of its panel, no axis is crowded with tick labels, and a plot taller than its view scrolls
// rather than being squeezed.
TEST_F(ViewsTest, PresentationTextStandsApartAndWholeInEveryView) {
    for (const QSize size : {QSize(940, 450), QSize(708, 640)})
        for (const bool plane : {false, true}) {
            const SnapshotPtr snap = eight_devices_snapshot(plane);
            QWidget window;
            window.setFont(scaled_font(window.font(), 1.5));
            window.resize(size);
            const std::vector<View*> views = create_all_views(&window);
            window.show();
            for (View* v : views) v->hide();
            for (View* v : views) {
                auto* view = dynamic_cast<PlotView*>(v);
                if (!view) continue;
                SCOPED_TRACE(QString("%1 %2 in %3x%4")
                                 .arg(v->id(), plane ? "2-D" : "LM")
                                 .arg(size.width())
                                 .arg(size.height())
                                 .toStdString());
                view->setGeometry(QRect(QPoint(), size));
                view->setSnapshot(snap);
                view->show();
                QCustomPlot* plot = view->plot();
                settle(plot);
                EXPECT_EQ(text_collisions(plot).join("\n").toStdString(), "");
                EXPECT_GE(plot->height(), content_height(plot)) << "squeezed";
                EXPECT_TRUE(qobject_cast<QScrollArea*>(plot->parentWidget()->parentWidget())) << "does not scroll";
                view->hide();
            }
        }
}

// The token inspector's legend (three entries under the bars) is whole at the dock's usual width (308 px in the
// default window) and wider, at the normal size and in presentation mode.
TEST_F(ViewsTest, InspectorLegendIsWholeAtTheDockWidthAndWider) {
    const SnapshotPtr snap = widest_labels_snapshot(1, false);
    for (const double scale : {1.0, 1.5})
        for (const int width : {308, 450, 800}) {
            SCOPED_TRACE(QString("%1 px at %2x").arg(width).arg(scale).toStdString());
            QWidget window;
            window.setFont(scaled_font(window.font(), scale));
            auto* inspector = new TokenInspector(&window);
            inspector->resize(width, 520);
            window.resize(width, 520);
            window.show();
            inspector->showToken(snap, 0, 0, 4);
            QApplication::processEvents();
            EXPECT_LE(inspector->plot()->geometry().right(), inspector->width());
            EXPECT_EQ(clipped_text_now(inspector->plot()), "");
        }
}

// The point size of every text of the plot (axis and tick labels, colour-scale labels, titles, legends, notes), in
// the plot's order, named by kind and place.
std::vector<std::pair<QString, double>> text_sizes(QCustomPlot* plot) {
    plot->replot(QCustomPlot::rpImmediateRefresh);
    std::vector<std::pair<QString, double>> sizes;
    int i = 0;
    for (const QCPAxis* axis : plot->findChildren<QCPAxis*>()) {
        sizes.emplace_back(QString("axis %1 \"%2\" label").arg(i).arg(axis->label()), axis->labelFont().pointSizeF());
        sizes.emplace_back(QString("axis %1 ticks").arg(i++), axis->tickLabelFont().pointSizeF());
    }
    for (const QCPTextElement* title : plot->findChildren<QCPTextElement*>())
        sizes.emplace_back(QString("title \"%1\"").arg(title->text()), title->font().pointSizeF());
    for (const QCPLegend* legend : plot->findChildren<QCPLegend*>()) {
        sizes.emplace_back(QString("legend %1").arg(i++), legend->font().pointSizeF());
        for (int k = 0; k < legend->itemCount(); ++k)
            if (const QCPAbstractLegendItem* item = legend->item(k))
                sizes.emplace_back(QString("legend item %1").arg(k), item->font().pointSizeF());
    }
    for (int k = 0; k < plot->itemCount(); ++k)
        if (const auto* note = qobject_cast<QCPItemText*>(plot->item(k)))
            sizes.emplace_back(QString("note %1 \"%2\"").arg(k).arg(note->text()), note->font().pointSizeF());
    return sizes;
}

// Every plot of the window: the views' and the token inspector's (showing a token, so its weight labels exist).
struct WindowPlots {
    std::vector<View*> views;
    TokenInspector* inspector = nullptr;

    WindowPlots(QWidget* window, const SnapshotPtr& snap) : views(create_all_views(window)) {
        inspector = new TokenInspector(window);
        for (View* v : views) v->setSnapshot(snap);
        inspector->showToken(snap, 0, 0, 4);
    }
    std::vector<std::vector<std::pair<QString, double>>> sizes() const {
        std::vector<std::vector<std::pair<QString, double>>> out;
        for (View* v : views)
            if (auto* view = dynamic_cast<PlotView*>(v)) {
                view->refresh();
                out.push_back(text_sizes(view->plot()));
            }
        out.push_back(text_sizes(inspector->plot()));
        return out;
    }
};

// Expects every text of `now` at `ratio` times its size in `base` (same plots, same texts).
void expect_scaled(const std::vector<std::vector<std::pair<QString, double>>>& base,
                   const std::vector<std::vector<std::pair<QString, double>>>& now, double ratio) {
    ASSERT_EQ(base.size(), now.size());
    for (std::size_t p = 0; p < base.size(); ++p) {
        ASSERT_EQ(base[p].size(), now[p].size()) << "plot " << p;
        for (std::size_t t = 0; t < base[p].size(); ++t) {
            EXPECT_EQ(base[p][t].first, now[p][t].first);
            EXPECT_NEAR(now[p][t].second, ratio * base[p][t].second, 0.01)
                << "plot " << p << ": " << now[p][t].first.toStdString();
        }
    }
}

// Presentation mode enlarges the window's font; every plot's text grows with it (and shrinks back), in plots made
// before the switch and after it, and in text made after it (the inspector's labels of a newly clicked token).
TEST_F(ViewsTest, PlotTextFollowsTheWindowFont) {
    const SnapshotPtr snap = widest_labels_snapshot(1, false);
    QWidget window;
    const QFont normal = window.font();
    WindowPlots before(&window, snap);
    const auto normal_sizes = before.sizes();
    std::size_t texts = 0;
    for (const auto& plot : normal_sizes) texts += plot.size();
    EXPECT_GT(texts, 150u);
    bool any_title = false, any_legend = false, any_note = false, any_scale = false;
    for (const auto& plot : normal_sizes)
        for (const auto& [name, size] : plot) {
            any_title = any_title || name.startsWith("title \"A · ");
            any_legend = any_legend || name.startsWith("legend item");
            any_note = any_note || name.contains("shared expert");
            any_scale = any_scale || name.contains("relative load f_i · N_r");  // a colour scale's label
        }
    EXPECT_TRUE(any_title && any_legend && any_note && any_scale);

    window.setFont(scaled_font(normal, 1.5));
    QApplication::processEvents();
    before.inspector->showToken(snap, 0, 1, 5);  // new weight labels, made at the larger size
    before.inspector->showToken(snap, 0, 0, 4);
    expect_scaled(normal_sizes, before.sizes(), 1.5);

    WindowPlots after(&window, snap);
    expect_scaled(normal_sizes, after.sizes(), 1.5);

    window.setFont(normal);
    QApplication::processEvents();
    expect_scaled(normal_sizes, before.sizes(), 1.0);
    expect_scaled(normal_sizes, after.sizes(), 1.0);
}

// Renders every view with a realistic snapshot (63 and 16 experts on 8 devices, a long probe text, the widest lesson
// labels) into a folder for a person to look at: set MOELAB_VIEWS_GALLERY to a folder to keep the images. Each view is
// exported, and shown as on a wide screen, in a window 700 px wide (the docks open), and in presentation mode (1.5x
// text) wide and in the space of the usual 1400x900 window; a plot that scrolls there is also saved whole.
TEST_F(ViewsTest, ExportGalleryForReview) {
    const QString out = qEnvironmentVariable("MOELAB_VIEWS_GALLERY");
    if (out.isEmpty()) GTEST_SKIP() << "set MOELAB_VIEWS_GALLERY to a folder to render the gallery";
    struct Look {
        QString suffix;
        QSize size;
        double font_scale;
    };
    for (const Look& look : {Look{"", {1200, 720}, 1.0}, Look{"_700px", {708, 720}, 1.0},
                             Look{"_presentation", {1200, 720}, 1.5}, Look{"_presentation_1400x900", {940, 450}, 1.5}})
        for (bool plane : {false, true}) {
            const SnapshotPtr snap = eight_devices_snapshot(plane);
            const QString dir = QDir(out).filePath(plane ? "plane" : "lm");
            QWidget window;
            for (View* v : create_all_views(&window)) {
                v->setParent(nullptr);
                v->setFont(scaled_font(v->font(), look.font_scale));
                v->resize(look.size);
                v->setSnapshot(snap);
                v->show();
                QApplication::processEvents();
                auto* plot_view = dynamic_cast<PlotView*>(v);
                if (plot_view) settle(plot_view->plot());
                if (look.suffix.isEmpty()) {
                    QString error;
                    EXPECT_TRUE(v->exportTo(dir, &error)) << error.toStdString();
                }
                v->grab().save(QDir(dir).filePath(v->id() + "_screen" + look.suffix + ".png"));
                if (plot_view && plot_view->plot()->visibleRegion().boundingRect() != plot_view->plot()->rect())
                    plot_view->plot()->grab().save(QDir(dir).filePath(v->id() + "_whole" + look.suffix + ".png"));
                delete v;
            }
            if (plane) continue;
            TokenInspector inspector;
            inspector.setFont(scaled_font(inspector.font(), look.font_scale));
            inspector.resize(look.size.width() < 1000 ? 308 : 700, 420);
            inspector.showToken(snap, 0, 0, 4);
            inspector.show();
            QApplication::processEvents();
            inspector.grab().save(QDir(dir).filePath("inspector_screen" + look.suffix + ".png"));
        }
}

}  // namespace
}  // namespace moe::ui
