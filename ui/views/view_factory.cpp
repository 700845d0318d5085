#include "ui/views/view_factory.h"

#include "ui/views/accounting_view.h"
#include "ui/views/aux_loss_view.h"
#include "ui/views/coactivation_view.h"
#include "ui/views/domain_view.h"
#include "ui/views/loss_view.h"
#include "ui/views/plane_view.h"
#include "ui/views/probes_view.h"
#include "ui/views/routing_view.h"
#include "ui/views/selection_bias_view.h"
#include "ui/views/specialisation_view.h"
#include "ui/views/traffic_view.h"
#include "ui/views/training_view.h"
#include "ui/views/utilisation_time_view.h"
#include "ui/views/utilisation_view.h"

namespace moe::ui {

std::vector<View*> create_all_views(QWidget* parent) {
    return {
        new LossView(parent),    new AuxLossView(parent), new UtilisationView(parent), new UtilisationTimeView(parent),
        new SelectionBiasView(parent), new RoutingView(parent), new DomainView(parent),  new SpecialisationView(parent), new CoactivationView(parent), new PlaneView(parent),       new TrafficView(parent),
        new ProbesView(parent),  new TrainingView(parent), new AccountingView(parent)};
}

}  // namespace moe::ui
