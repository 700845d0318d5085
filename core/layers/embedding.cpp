#include "core/layers/embedding.h"

namespace moe {

template <class T>
void embedding_forward(const MatT<T>& table, const std::vector<int32_t>& ids, MatT<T>& out) {
    out.resize(static_cast<Eigen::Index>(ids.size()), table.cols());
    for (size_t i = 0; i < ids.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = table.row(ids[i]);
}

template <class T>
void embedding_backward(const std::vector<int32_t>& ids, const MatT<T>& dout, MatT<T>& dtable) {
    // Serial on purpose: rows of the same id must be added in index order for bit-identical results.
    for (size_t i = 0; i < ids.size(); ++i) dtable.row(ids[i]) += dout.row(static_cast<Eigen::Index>(i));
}

template void embedding_forward<float>(const Mat&, const std::vector<int32_t>&, Mat&);
template void embedding_forward<double>(const MatD&, const std::vector<int32_t>&, MatD&);
template void embedding_backward<float>(const std::vector<int32_t>&, const Mat&, Mat&);
template void embedding_backward<double>(const std::vector<int32_t>&, const MatD&, MatD&);

}  // namespace moe
