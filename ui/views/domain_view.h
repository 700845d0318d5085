// Expert specialisation: data domain (rows) x routed expert (columns), each row that domain's load per expert over its
// balanced load (1 = even spread), for the selected layer; A and B side by side on one colour scale.
#pragma once

#include "ui/views/heatmap_view.h"

class QCPGraph;

namespace moe::ui {

class DomainView : public HeatmapView {
    Q_OBJECT
public:
    explicit DomainView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("domains"); }
    QString title() const override { return tr("Expert specialisation by domain"); }
    QString explanation() const override;
    QString notApplicable() const override;
    QString csv() const override;

protected:
    void rebuild() override;

private:
    std::array<QCPGraph*, 2> top_{};
};

}  // namespace moe::ui
