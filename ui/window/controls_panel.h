// The knobs of an ablation: per model (A and B side by side, so one changed knob is easy to see) the preset and the
// expert structure, and for both the data and training settings. Every change is resolved at once by the engine
// (see lesson_builder.h); an impossible combination shows the engine's message in red next to the controls and
// highlights the control it names. A valid change waits for Apply (or Reset): training restarts with it.
#pragma once

#include "ui/session/lesson.h"
#include "ui/window/lesson_builder.h"

#include <QMap>
#include <QPointer>
#include <QWidget>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

class QComboBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace moe::ui {

class ControlsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ControlsPanel(QWidget* parent = nullptr);

    // The lesson the controls start from; forgets earlier edits and hides the lesson's hidden_controls.
    void setLesson(const Lesson& lesson);
    const Lesson& baseLesson() const { return base_; }

    bool isValid() const { return result_.ok; }
    bool hasPendingChanges() const { return pending_; }
    QString errorText() const { return result_.ok ? QString() : result_.error; }
    QString errorKey() const { return result_.key; }  // the config key the error names, if it has a control
    // The lesson the controls describe (valid only when isValid()).
    const Lesson& builtLesson() const { return result_.lesson; }
    // The built lesson is now what the session trains.
    void markApplied();
    // Shows a run's configs without letting them be edited (replay of a run folder), or back to editing.
    void showReadOnly(const Config& a, const Config& b);
    void leaveReadOnly();

    // The widget of a knob: model 0 / 1, or -1 for the shared ones (dataset, learning_rate, ..., probe_text).
    QWidget* control(int model, const QString& key) const;
    // The config keys that have a control.
    static QStringList controlKeys();

signals:
    void validityChanged(bool valid);
    void pendingChanged(bool pending);
    void applyRequested();
    void probeTextEdited(const QString& text);  // applies at once: the probe does not change training
    // Only live knobs changed (moe::live_config_keys): the running models take them at the next step, no restart.
    void liveKnobsEdited(const moe::ui::Lesson& lesson);

private:
    QWidget* buildModelGrid();
    QWidget* buildDeviceGrid();
    QWidget* buildSharedForm();
    void addModelRow(QGridLayout* grid, int row, const QString& label, const QString& key,
                     const std::function<QWidget*(int model)>& make);
    // The A and B column headers of a per-model grid (row 0); returns A's.
    QLabel* addModelHeaders(QGridLayout* grid);
    // Per-model rows of a spin box, a 0..1 coefficient, or a choice (shown text, config value).
    void addIntRow(QGridLayout* grid, int row, const QString& label, const char* key, int lo, int hi, int step = 1,
                   const QString& special = {});
    void addRealRow(QGridLayout* grid, int row, const QString& label, const char* key);
    void addChoiceRow(QGridLayout* grid, int row, const QString& label, const char* key,
                      const std::vector<std::pair<QString, QString>>& items);
    void registerControl(int model, const QString& key, QWidget* widget, QWidget* label);
    void modelEdited(int model, const std::string& key, const std::string& value);
    void sharedEdited(const std::string& key, const std::string& value);
    void presetChosen(int model, const QString& preset);
    // Model m has an edited key its preset sets: the preset combo says "custom".
    bool isCustom(int model) const;
    void datasetChosen(bool by_user);
    void rebuild();
    void showConfigs(const Config& a, const Config& b);
    void updateDatasetDependent();
    void updateSummaries();
    void setHighlighted(QWidget* widget);

    Lesson base_;
    std::array<ModelEdits, 2> edits_;
    std::map<std::string, std::string> shared_;
    QString probe_;
    std::array<Config, 2> resolved_;  // last valid resolution of each model (for switching to direct keys)
    BuildResult result_;
    bool pending_ = false;
    bool loading_ = false;  // true while controls are set from configs: their signals are not edits

    std::array<QMap<QString, QWidget*>, 2> model_controls_;
    QMap<QString, QWidget*> shared_controls_;
    QMap<QString, QList<QWidget*>> rows_;  // key -> widgets to hide with it (controls and labels)
    std::array<QLabel*, 2> summaries_{};
    std::array<QLabel*, 2> headers_{};
    QWidget* models_box_ = nullptr;
    QWidget* shared_box_ = nullptr;
    QWidget* devices_box_ = nullptr;
    std::pair<int, QString> last_edit_{-1, {}};  // the model (-1: shared) and key of the latest edit
    QLineEdit* data_file_ = nullptr;
    QLabel* message_ = nullptr;
    QLabel* hint_ = nullptr;
    QPushButton* apply_ = nullptr;
    QPointer<QWidget> highlighted_;
};

}  // namespace moe::ui
