// Bounded-memory history for long runs: at most `capacity` points are kept. When full, adjacent pairs are merged
// (x and y averaged) and later points are averaged in groups twice as large, so memory stays flat over 100k steps
// while the curve keeps its shape. The last stored point is the average of the group still filling up, so the
// newest data is always visible.
#pragma once

#include <cstddef>
#include <vector>

namespace moe::ui {

class DownsampledSeries {
public:
    explicit DownsampledSeries(std::size_t capacity = 2048);
    void add(double x, double y);
    void clear();
    const std::vector<double>& x() const { return x_; }
    const std::vector<double>& y() const { return y_; }
    std::size_t size() const { return x_.size(); }
    std::size_t stride() const { return stride_; }  // raw points per stored point

private:
    std::size_t capacity_, stride_ = 1, pending_n_ = 0;
    double pending_x_ = 0, pending_y_ = 0;
    std::vector<double> x_, y_;
};

// The same for rows of a heatmap (e.g. expert load fractions over time).
class DownsampledRows {
public:
    explicit DownsampledRows(std::size_t capacity = 256);
    void add(double x, const std::vector<double>& row);
    void clear();
    const std::vector<double>& x() const { return x_; }
    const std::vector<std::vector<double>>& rows() const { return rows_; }
    std::size_t size() const { return x_.size(); }
    std::size_t stride() const { return stride_; }  // raw rows per stored row

private:
    std::size_t capacity_, stride_ = 1, pending_n_ = 0;
    double pending_x_ = 0;
    std::vector<double> pending_row_;
    std::vector<double> x_;
    std::vector<std::vector<double>> rows_;
};

}  // namespace moe::ui
