#include "ui/session/series.h"
#include "ui/session/snapshot.h"

#include <algorithm>
#include <cmath>

namespace moe::ui {

// Both containers keep the same layout: every stored point but the last stands for exactly `stride_` raw points;
// the last one may be a partial group still filling up (pending_n_ raw points, pending_* hold its sums). Showing
// the partial group keeps the newest step on screen instead of lagging up to a stride behind, and equal weights
// for the complete groups keep the mean of the stored curve equal to the mean of the raw one.

DownsampledSeries::DownsampledSeries(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 2)) {
    x_.reserve(capacity_);
    y_.reserve(capacity_);
}

void DownsampledSeries::clear() {
    stride_ = 1;
    pending_n_ = 0;
    pending_x_ = pending_y_ = 0;
    x_.clear();
    y_.clear();
}

void DownsampledSeries::add(double x, double y) {
    pending_x_ += x;
    pending_y_ += y;
    ++pending_n_;
    const double n = static_cast<double>(pending_n_);
    if (pending_n_ == 1) {
        x_.push_back(pending_x_);
        y_.push_back(pending_y_);
    } else {
        x_.back() = pending_x_ / n;
        y_.back() = pending_y_ / n;
    }
    if (pending_n_ < stride_) return;
    // The group is complete.
    pending_n_ = 0;
    pending_x_ = pending_y_ = 0;
    if (x_.size() < capacity_) return;
    // Full: merge adjacent pairs; from now on groups are twice as large.
    const std::size_t pairs = x_.size() / 2;
    const bool odd = x_.size() % 2 != 0;
    const double last_x = x_.back(), last_y = y_.back();
    for (std::size_t i = 0; i < pairs; ++i) {
        x_[i] = 0.5 * (x_[2 * i] + x_[2 * i + 1]);
        y_[i] = 0.5 * (y_[2 * i] + y_[2 * i + 1]);
    }
    x_.resize(pairs);
    y_.resize(pairs);
    if (odd) {  // the unpaired last group becomes the first half of a new, partial group
        pending_n_ = stride_;
        pending_x_ = last_x * static_cast<double>(stride_);
        pending_y_ = last_y * static_cast<double>(stride_);
        x_.push_back(last_x);
        y_.push_back(last_y);
    }
    stride_ *= 2;
}

DownsampledRows::DownsampledRows(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 2)) {}

void DownsampledRows::clear() {
    stride_ = 1;
    pending_n_ = 0;
    pending_x_ = 0;
    pending_row_.clear();
    x_.clear();
    rows_.clear();
}

void DownsampledRows::add(double x, const std::vector<double>& row) {
    // Rows of one heatmap have one width (the expert count); a different width starts a new history.
    if (!rows_.empty() && rows_.front().size() != row.size()) clear();
    if (pending_n_ == 0) pending_row_.assign(row.size(), 0.0);
    pending_x_ += x;
    for (std::size_t i = 0; i < row.size(); ++i) pending_row_[i] += row[i];
    ++pending_n_;
    const double inv = 1.0 / static_cast<double>(pending_n_);
    if (pending_n_ == 1) {
        x_.push_back(pending_x_);
        rows_.push_back(pending_row_);
    } else {
        x_.back() = pending_x_ * inv;
        std::vector<double>& back = rows_.back();
        for (std::size_t i = 0; i < back.size(); ++i) back[i] = pending_row_[i] * inv;
    }
    if (pending_n_ < stride_) return;
    pending_n_ = 0;
    pending_x_ = 0;
    if (x_.size() < capacity_) return;
    const std::size_t pairs = x_.size() / 2;
    const bool odd = x_.size() % 2 != 0;
    const double last_x = x_.back();
    std::vector<double> last_row = rows_.back();
    for (std::size_t i = 0; i < pairs; ++i) {
        x_[i] = 0.5 * (x_[2 * i] + x_[2 * i + 1]);
        std::vector<double>& out = rows_[i];
        const std::vector<double>& a = rows_[2 * i];
        const std::vector<double>& b = rows_[2 * i + 1];
        std::vector<double> merged(a.size());
        for (std::size_t e = 0; e < a.size(); ++e) merged[e] = 0.5 * (a[e] + b[e]);
        out = std::move(merged);
    }
    x_.resize(pairs);
    rows_.resize(pairs);
    if (odd) {
        pending_n_ = stride_;
        pending_x_ = last_x * static_cast<double>(stride_);
        pending_row_ = last_row;
        for (double& v : pending_row_) v *= static_cast<double>(stride_);
        x_.push_back(last_x);
        rows_.push_back(std::move(last_row));
    }
    stride_ *= 2;
}

double recent_mean(const Series& loss, double window) {
    const std::size_t n = std::min(loss.x.size(), loss.y.size());
    if (n == 0) return NAN;
    const double from = loss.x[n - 1] - window;
    double sum = 0;
    int count = 0;
    for (std::size_t i = n; i-- > 0 && loss.x[i] > from;) {
        if (!std::isfinite(loss.y[i])) continue;
        sum += loss.y[i];
        ++count;
    }
    return count ? sum / count : NAN;
}

}  // namespace moe::ui
