// The traffic view of simulated expert parallelism, offscreen: it draws the snapshot's dispatch matrices and device
// loads, states the loss difference next to the bytes saved (signs and percentages checked on hand-made numbers),
// says how to turn devices on instead of showing empty axes, exports its data; and a run folder written by the
// engine with devices > 1 reads back the same traffic the live session shows, a corrupt traffic.csv row naming its line.
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/train/run_writer.h"
#include "core/train/trainer.h"
#include "tests/ui_test_app.h"
#include "ui/session/model_history.h"
#include "ui/session/run_folder.h"
#include "ui/views/traffic_view.h"

#include <qcustomplot.h>

#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace moe::ui {
namespace {

using test::ensure_app;
class TrafficViewTest : public ::testing::Test {
protected:
    void SetUp() override { ensure_app(); }
};

// One model on `devices` devices with two MoE layers: layer l's matrix cell (src, dst) = 10 src + dst + 100 l off
// the diagonal, device d's load = 50 + 10 d + l; `bytes_late` dispatch bytes per step over steps 91..100 and
// ten times more before (the summary must look at the latest tenth only), 1.5 remote devices per token.
ModelSnapshot device_model(int devices, int limit, double val_loss, double bytes_late) {
    ModelSnapshot ms;
    ms.devices = devices;
    ms.config.model.devices = devices;
    ms.config.model.device_limit = limit;
    ms.final_val_loss = val_loss;
    ms.val_loss.x = {100};
    ms.val_loss.y = {val_loss};
    for (int l = 0; l < 2; ++l) {
        LayerSnapshot layer;
        layer.layer = l + 1;
        layer.n_routed = 8;
        layer.top_k = 2;
        if (devices > 1) {
            layer.traffic.assign(std::size_t(devices), std::vector<double>(std::size_t(devices), 0.0));
            for (int s = 0; s < devices; ++s) {
                for (int d = 0; d < devices; ++d)
                    if (s != d) layer.traffic[std::size_t(s)][std::size_t(d)] = 10 * s + d + 100 * l;
                layer.device_load.push_back(50 + 10 * s + l);
            }
        }
        ms.layers.push_back(layer);
    }
    if (devices > 1)
        for (int step = 1; step <= 100; ++step) {
            ms.dispatch_bytes.x.push_back(step);
            ms.dispatch_bytes.y.push_back(step > 90 ? bytes_late : 10 * bytes_late);
            ms.remote_devices.x.push_back(step);
            ms.remote_devices.y.push_back(1.5);
        }
    return ms;
}

SnapshotPtr snapshot_of(ModelSnapshot a, ModelSnapshot b, uint64_t serial = 1) {
    auto s = std::make_shared<Snapshot>();
    s->serial = serial;
    s->step = 100;
    s->models = {std::move(a), std::move(b)};
    s->models[0].label = "limited";
    s->models[1].label = "free";
    return s;
}

std::vector<QStringList> csv_rows(const QString& text) {
    std::vector<QStringList> rows;
    for (const QString& line : text.split('\n', Qt::SkipEmptyParts)) rows.push_back(line.split(','));
    return rows;
}

TEST_F(TrafficViewTest, HeatmapCellsAndLoadBarsAreTheSnapshotNumbers) {
    const SnapshotPtr snap = snapshot_of(device_model(4, 2, 2.5, 1000), device_model(8, 0, 2.4, 3000));
    TrafficView view;
    view.setSnapshot(snap);
    for (int layer : {0, 1}) {
        view.setLayerIndex(layer);
        for (int m = 0; m < 2; ++m) {
            SCOPED_TRACE("model " + std::to_string(m) + ", layer " + std::to_string(layer));
            const LayerSnapshot& l = snap->models[std::size_t(m)].layers[std::size_t(layer)];
            const int D = int(l.traffic.size());
            QCPColorMapData* data = view.colourMap(m)->data();
            ASSERT_EQ(data->keySize(), D);
            ASSERT_EQ(data->valueSize(), D);
            for (int src = 0; src < D; ++src)
                for (int dst = 0; dst < D; ++dst)  // x = receiving device, y = home device
                    EXPECT_EQ(data->cell(dst, src), l.traffic[std::size_t(src)][std::size_t(dst)]);
            // One colour range for A and B: the largest cell of this layer over both, B's (8 devices).
            EXPECT_EQ(view.colourRange(m).second, 10.0 * 7 + 6 + 100 * layer) << "largest cell of A and B";
            EXPECT_TRUE(view.note(m).isEmpty()) << view.note(m).toStdString();
            // Device loads 50 + 10 d + layer over their mean; device MaxVio = max / mean - 1.
            const double mean = 50 + 10 * (D - 1) / 2.0 + layer, top = 50 + 10 * (D - 1) + layer;
            const std::vector<double> shown = view.shownLoads(m);
            ASSERT_EQ(shown.size(), l.device_load.size());
            for (std::size_t d = 0; d < shown.size(); ++d) EXPECT_DOUBLE_EQ(shown[d], l.device_load[d] / mean);
            EXPECT_TRUE(view.panelTitle(m).contains(QString("device MaxVio %1").arg(top / mean - 1, 0, 'f', 2)))
                << view.panelTitle(m).toStdString();
            EXPECT_TRUE(view.panelTitle(m).contains(QString("layer %1 · %2 devices").arg(l.layer).arg(D)));
        }
    }
    EXPECT_TRUE(view.panelTitle(0).contains("4 devices, limit 2")) << view.panelTitle(0).toStdString();
    EXPECT_TRUE(view.panelTitle(1).contains("8 devices, no limit")) << view.panelTitle(1).toStdString();
    view.setGlobalNormalisation(true);
    EXPECT_EQ(view.colourRange(0), view.colourRange(1));
    EXPECT_EQ(view.colourRange(0).second, 10.0 * 7 + 6 + 100) << "B's largest cell, of layer 1";
}

TEST_F(TrafficViewTest, SummaryShowsTheLossDifferenceNextToTheBytesSaved) {
    TrafficView view;
    // A limited: 400 KiB per step lately, B free: 1000 KiB; B's validation loss 0.012 nats lower.
    view.setSnapshot(snapshot_of(device_model(8, 2, 2.500, 400 * 1024), device_model(8, 0, 2.488, 1000 * 1024)));
    EXPECT_EQ(view.summary(),
              "B − A: Δ val loss = −0.012 nats · dispatch bytes/step +150 %\nA 400 KiB, B 1000 KiB per step: A sends 60 % less");
    // The other way round: B limited, sending 60 % less, with a loss 0.012 nats higher.
    view.setSnapshot(snapshot_of(device_model(8, 0, 2.488, 2.5 * 1024 * 1024), device_model(8, 2, 2.500, 1024 * 1024),
                                 2));
    EXPECT_EQ(view.summary(),
              "B − A: Δ val loss = +0.012 nats · dispatch bytes/step −60 %\nA 2.50 MiB, B 1.00 MiB per step: B sends 60 % less");
    // Before the first evaluation the loss difference is not made up.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    view.setSnapshot(snapshot_of(device_model(8, 2, nan, 1024), device_model(8, 0, 2.5, 2048), 3));
    EXPECT_TRUE(view.summary().startsWith("B − A: Δ val loss: no validation yet · dispatch bytes/step +100 %"))
        << view.summary().toStdString();
    auto unevaluated = std::make_shared<Snapshot>(*snapshot_of(device_model(8, 2, 0, 1024), device_model(8, 0, 0, 2048)));
    unevaluated->serial = 4;
    for (ModelSnapshot& ms : unevaluated->models) ms.val_loss = {};
    view.setSnapshot(unevaluated);
    EXPECT_TRUE(view.summary().startsWith("B − A: Δ val loss: no validation yet")) << view.summary().toStdString();
}

TEST_F(TrafficViewTest, OneDeviceModelsGetANoteInsteadOfEmptyAxes) {
    TrafficView view;
    view.setSnapshot(snapshot_of(device_model(1, 0, 2.5, 0), device_model(8, 2, 2.4, 4096)));
    EXPECT_TRUE(view.note(0).contains("model A runs on one device")) << view.note(0).toStdString();
    EXPECT_TRUE(view.note(0).contains("devices > 1"));
    EXPECT_TRUE(view.note(0).contains("device_limit=2"));
    EXPECT_TRUE(view.note(1).isEmpty());
    EXPECT_TRUE(view.shownLoads(0).empty());
    EXPECT_EQ(view.colourMap(0)->data()->keySize(), 0);
    EXPECT_TRUE(view.summary().contains("A runs on one device (no traffic)")) << view.summary().toStdString();
    EXPECT_TRUE(view.summary().contains("Δ val loss = −0.100 nats")) << view.summary().toStdString();

    view.setSnapshot(snapshot_of(device_model(1, 0, 2.5, 0), device_model(1, 0, 2.5, 0), 2));
    EXPECT_TRUE(view.note(1).contains("model B runs on one device"));
    // Nothing to compare: no loss difference is offered as if it were a device limit's cost.
    EXPECT_TRUE(view.summary().contains("A and B each run on one device: no traffic to compare"))
        << view.summary().toStdString();
    EXPECT_FALSE(view.summary().contains("val loss")) << view.summary().toStdString();
    EXPECT_EQ(view.curvesNote(), "no traffic: A and B run on one device");
    view.setSnapshot(snapshot_of(device_model(1, 0, 2.5, 0), device_model(8, 2, 2.4, 4096), 3));
    EXPECT_TRUE(view.curvesNote().isEmpty()) << "B's curves are drawn";
}

TEST_F(TrafficViewTest, CsvHoldsTheMatricesLoadsAndCurves) {
    const SnapshotPtr snap = snapshot_of(device_model(4, 2, 2.5, 1000), device_model(2, 0, 2.4, 3000));
    TrafficView view;
    view.setSnapshot(snap);
    const auto rows = csv_rows(view.csv());
    ASSERT_EQ(rows[0], (QStringList{"model", "quantity", "step", "layer", "src", "dst", "device", "value"}));
    std::size_t cells = 0, loads = 0, bytes = 0, remote = 0;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const QStringList& row = rows[r];
        ASSERT_EQ(row.size(), 8) << row.join(',').toStdString();
        const ModelSnapshot& ms = snap->models[row[0] == "A" ? 0 : 1];
        const int layer = row[3].toInt() - 1;  // the snapshot's layers are blocks 1 and 2
        if (row[1] == "dispatch_copies") {
            ++cells;
            EXPECT_EQ(row[7].toDouble(),
                      ms.layers[std::size_t(layer)].traffic[row[4].toUInt()][row[5].toUInt()]);
        } else if (row[1] == "device_load") {
            ++loads;
            EXPECT_EQ(row[7].toDouble(), ms.layers[std::size_t(layer)].device_load[row[6].toUInt()]);
        } else if (row[1] == "step_dispatch_bytes") {
            ++bytes;
            EXPECT_EQ(row[7].toDouble(), ms.dispatch_bytes.y[std::size_t(row[2].toInt() - 1)]);
        } else if (row[1] == "step_remote_devices") {
            ++remote;
        } else if (row[1] == "devices") {
            EXPECT_EQ(row[7].toInt(), ms.devices);
        }
    }
    EXPECT_EQ(cells, 2u * (16 + 4));  // two layers of a 4 x 4 and a 2 x 2 matrix
    EXPECT_EQ(loads, 2u * (4 + 2));
    EXPECT_EQ(bytes, 200u);
    EXPECT_EQ(remote, 200u);
}

TEST_F(TrafficViewTest, ExportWritesTheFourFiles) {
    TrafficView view;
    view.setSnapshot(snapshot_of(device_model(4, 2, 2.5, 1000), device_model(1, 0, 2.4, 0)));
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QString error;
    ASSERT_TRUE(view.exportTo(dir.path(), &error)) << error.toStdString();
    for (const char* ext : {"png", "svg", "pdf", "csv"}) {
        const QFileInfo file(QDir(dir.path()).filePath(QString("traffic.") + ext));
        EXPECT_TRUE(file.exists() && file.size() > 100) << file.filePath().toStdString();
    }
    QFile csv(QDir(dir.path()).filePath("traffic.csv"));
    ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
    EXPECT_EQ(QString::fromUtf8(csv.readAll()), view.csv());
}

// ---------------------------------------------------------------------------------------------------------------
// Run folders with devices > 1

Config device_config() {
    return resolve_config("seed-default", "",
                          {"hidden_size=32", "num_attention_heads=2", "ffn_base_width=32", "seq_len=32", "batch_size=4",
                           "steps=6", "eval_interval=3", "corpus_bytes_per_domain=6000", "routing_interval=5",
                           "devices=4", "device_limit=2"});
}

// Trains 6 steps into a run folder and returns the snapshot the live session would show for them.
ModelSnapshot train_into(const QString& dir) {
    const Config config = device_config();
    Trainer trainer(config);
    RunWriter writer(dir.toStdString(), config, trainer.dataset().domain_names());
    ModelHistory live(config.model);
    for (int s = 0; s < config.train.steps; ++s) {
        const StepMetrics m = trainer.train_step();
        writer.add(m);
        live.add_step(m);
    }
    writer.flush();
    ModelSnapshot snap;
    live.fill(snap);
    return snap;
}

TEST_F(TrafficViewTest, RunFolderReadsBackTheLiveTraffic) {
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const ModelSnapshot live = train_into(tmp.path());
    ASSERT_TRUE(QFileInfo::exists(QDir(tmp.path()).filePath("traffic.csv")));
    const RunData run = load_run_folder(tmp.path());
    const ModelSnapshot& s = run.snapshot;
    EXPECT_EQ(s.devices, 4);
    ASSERT_EQ(s.dispatch_bytes.y.size(), 6u);
    EXPECT_EQ(s.dispatch_bytes.x, live.dispatch_bytes.x);
    EXPECT_EQ(s.dispatch_bytes.y, live.dispatch_bytes.y);
    EXPECT_EQ(s.remote_devices.y, live.remote_devices.y);
    ASSERT_EQ(s.layers.size(), live.layers.size());
    ASSERT_FALSE(s.layers.empty());
    double copies = 0;
    for (std::size_t i = 0; i < s.layers.size(); ++i) {
        SCOPED_TRACE("layer " + std::to_string(s.layers[i].layer));
        ASSERT_EQ(s.layers[i].traffic.size(), 4u);
        EXPECT_EQ(s.layers[i].traffic, live.layers[i].traffic) << "the latest sample (step 6)";
        EXPECT_EQ(s.layers[i].device_load, live.layers[i].device_load);
        EXPECT_EQ(s.layers[i].balance.device_imbalance, live.layers[i].balance.device_imbalance);
        for (const auto& row : s.layers[i].traffic)
            for (double v : row) copies += v;
    }
    EXPECT_GT(copies, 0) << "a 4-device run sends something";

    // The view shows the loaded folder like a live run.
    auto snap = std::make_shared<Snapshot>();
    snap->serial = 1;
    snap->models = {s, s};
    TrafficView view;
    view.setSnapshot(snap);
    EXPECT_TRUE(view.note(0).isEmpty()) << view.note(0).toStdString();
    EXPECT_EQ(view.colourMap(0)->data()->keySize(), 4);
}

TEST_F(TrafficViewTest, CorruptTrafficRowsNameTheFileAndLine) {
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    train_into(tmp.path());
    const std::filesystem::path file = std::filesystem::path(tmp.path().toStdString()) / "traffic.csv";
    const std::string good = read_file(file);
    const int next_line = int(std::count(good.begin(), good.end(), '\n')) + 1;
    for (const std::string bad : {"6,0,1,x,3,12", "6,0,1,2,3", "6,0,9,1,3,12", "6,0,1,2,-3,12"}) {
        SCOPED_TRACE(bad);
        write_file_atomic(file, good + bad + "\n");
        try {
            load_run_folder(tmp.path());
            FAIL() << "expected a FileError";
        } catch (const FileError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find("traffic.csv"), std::string::npos) << msg;
            EXPECT_NE(msg.find("line " + std::to_string(next_line)), std::string::npos) << msg;
        }
    }
    // Without traffic.csv (an older folder) the rest still loads, with no matrices.
    std::filesystem::remove(file);
    const RunData run = load_run_folder(tmp.path());
    ASSERT_FALSE(run.snapshot.layers.empty());
    EXPECT_TRUE(run.snapshot.layers[0].traffic.empty());
    EXPECT_EQ(run.snapshot.layers[0].device_load.size(), 4u);
}

}  // namespace
}  // namespace moe::ui
