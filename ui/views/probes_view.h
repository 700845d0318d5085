// DeepSeekMoE's probes (§4.5) on A's and B's current weights, on demand: Run probes asks for copies of both models
// (modelCopiesRequested: the main window passes it to the TrainingSession, which answers between two steps), a
// ProbeRunner runs them in its own thread with a progress bar and Stop, and the view draws what came back:
//   mask top-r (Fig. 4)     validation loss against the masked share r / N_r (the paper's x axis) or r itself,
//   shared experts off      the loss with the shared experts on and off (the paper: 1.808 -> 2.414),
//   active k' (Fig. 5)      the loss with only the top k' of the k routed experts kept (x = k' or k' / k),
// all on one loss axis for A and B, for all validation tokens or one domain, with the numbers beside the picture.
// Points that could not run are not drawn and the numbers say why. The title names the step of the probed weights,
// and says so when training has moved on since.
#pragma once

#include "ui/session/probe_runner.h"
#include "ui/views/plot_view.h"

#include <QElapsedTimer>
#include <QPointF>

#include <array>
#include <vector>

class QCPAxisRect;
class QCPGraph;
class QCPItemText;
class QCPLegend;
class QCPTextElement;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;

namespace moe::ui {

class ProbesView : public PlotView {
    Q_OBJECT
public:
    enum Panel { Mask = 0, SharedOff = 1, ActiveK = 2 };
    enum class XAxis { Share, Count };  // mask: r / N_r or r; active: k' / k or k'

    explicit ProbesView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("probes"); }
    QString title() const override { return tr("Probes (DeepSeekMoE Figs. 4, 5)"); }
    QString explanation() const override;
    QString csv() const override;

    // Run probes: asks for model copies (modelCopiesRequested) unless a run is in flight.
    void runProbes();
    void stopProbes();
    bool isProbing() const;
    ProbeRunPtr results() const { return results_; }
    ProbeRunner* runner() const { return runner_; }

    void setXAxis(XAxis axis);
    XAxis xAxis() const;
    // -1 = all validation tokens, else a domain index of the results.
    void setDomain(int domain);
    int domain() const;

    // What is drawn, for tests: the (x, y) points of model m in a panel, the panel's y range [lower, upper], the
    // title line, the numbers beside the picture, the note over a panel (empty when none is shown), the status line.
    std::vector<QPointF> shownPoints(Panel panel, int model) const;
    std::array<double, 2> yRange(Panel panel) const;
    QString headline() const;
    QString numbersText() const;
    QString panelNote(Panel panel) const;
    QString statusText() const;

signals:
    void modelCopiesRequested();

public slots:
    // The copies to probe (from TrainingSession::modelCopiesReady); a null `copies` shows `why_not`.
    void runOnCopies(moe::ui::ModelCopiesPtr copies, const QString& why_not);

protected:
    void rebuild() override;
    QSize exportSize() const override { return {1200, 720}; }

private:
    void onProgress(int done, int total);
    void onFinished(moe::ui::ProbeRunPtr run, const QString& error);
    void setBusy(bool busy);
    void syncDomainChoices();

    QPushButton* run_ = nullptr;
    QPushButton* stop_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QComboBox* axis_ = nullptr;
    QComboBox* domain_ = nullptr;
    ProbeRunner* runner_ = nullptr;
    bool awaiting_copies_ = false;  // Run probes was pressed, the copies are on their way
    bool cancelled_ = false;        // Stop was pressed before they came
    QElapsedTimer clock_;

    QCPTextElement* headline_ = nullptr;
    std::array<QCPTextElement*, 3> panel_titles_{};
    std::array<QCPAxisRect*, 3> rects_{};
    std::array<std::array<QCPGraph*, 2>, 3> graphs_{};  // [panel][model]
    std::array<QCPItemText*, 3> notes_{};  // over each panel: what it cannot draw
    QCPItemText* empty_note_ = nullptr;    // before the first run
    QCPLegend* legend_ = nullptr;
    QCPTextElement* numbers_ = nullptr;

    ProbeRunPtr results_;
};

}  // namespace moe::ui
