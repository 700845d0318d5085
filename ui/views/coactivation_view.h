// Expert co-activation (OLMoE): for the selected MoE layer, entry (i, j) = N(i, j) / N(i), the share of the tokens
// that chose expert i which also chose expert j, over the fixed validation set. A and B share one colour scale
// [0, 1]; the title gives each expert's strongest partner share, averaged, against the level of a router that picks
// its k experts at random, (k - 1) / (N_r - 1). (The mean over all partners would say nothing: it is exactly that
// level for any router, since every token that chose i chose k - 1 others.)
#pragma once

#include "ui/views/heatmap_view.h"

namespace moe::ui {

class CoactivationView : public HeatmapView {
    Q_OBJECT
public:
    explicit CoactivationView(QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("coactivation"); }
    QString title() const override { return tr("Co-activation"); }
    QString explanation() const override;
    QString csv() const override;

    // Mean over used experts i of max_{j != i} N(i,j)/N(i): how often an expert's strongest partner comes with it
    // (NaN when k = 1 or no data). A random router gives about (k - 1) / (N_r - 1), a fixed team 1.
    static double top_partner_share(const LayerEvalSnapshot& layer);

protected:
    void rebuild() override;
};

}  // namespace moe::ui
