#include "ui/views/view.h"

namespace moe::ui {

QColor model_colour(int model) {
    // The two colours of the common "tab10" palette: blue and orange stay distinct under the usual colour-vision
    // deficiencies (unlike red/green) and print as different greys.
    return model == 0 ? QColor(0x1f, 0x77, 0xb4) : QColor(0xff, 0x7f, 0x0e);
}

}  // namespace moe::ui
