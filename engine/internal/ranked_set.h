// RankedSet: an ordered set that also finds the element at any rank (its position in the
// order) without walking the elements before it. WebhookIndex keeps one per sort field, so a
// search page at offset 99,950 costs about what the first page costs.
//
//   RankedSet<int> set;
//   set.Insert(30);
//   set.Insert(10);
//   set.Insert(20);
//   set.VisitFrom(1, /*forward=*/true, [](int v) { ...; return true; });  // 20, then 30.
//
// The elements are kept in sorted blocks of at most 256 (kMaxBlock), full when the elements
// came in increasing order and at least half full elsewhere. Finding a rank adds up
// the blocks' sizes from the nearer end (O(n / kMaxBlock), a few hundred integers at 100,000
// elements); inserting or erasing finds the block by binary search and shifts at most
// kMaxBlock elements in it.
// Not thread-safe.
#ifndef WEBHOOKS_ENGINE_INTERNAL_RANKED_SET_H_
#define WEBHOOKS_ENGINE_INTERNAL_RANKED_SET_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

namespace webhooks {
namespace engine_internal {

template <typename T, typename Less = std::less<T>>
class RankedSet {
 public:
  size_t size() const { return size_; }
  // How many blocks hold the elements (see below): what the set costs beyond them.
  size_t blocks() const { return blocks_.size(); }

  // Adds `value`; false (and no change) if an equal element is present.
  bool Insert(T value) {
    if (blocks_.empty()) blocks_.emplace_back();
    const auto block = BlockFor(value);
    const auto at = std::lower_bound(block->begin(), block->end(), value, less_);
    if (at != block->end() && !less_(value, *at)) return false;
    const bool appended = block + 1 == blocks_.end() && at == block->end();
    block->insert(at, std::move(value));
    ++size_;
    if (block->size() == kMaxBlock) {
      // A value past the greatest (as creation times always are) starts a new last block and
      // leaves the full one behind, which such values never come back to. Elsewhere the block
      // splits in halves, so inserts into it stay cheap.
      const size_t keep = appended ? kMaxBlock - 1 : kMaxBlock / 2;
      std::vector<T> upper(std::make_move_iterator(block->begin() + keep),
                           std::make_move_iterator(block->end()));
      block->erase(block->begin() + keep, block->end());
      if (!appended) block->shrink_to_fit();
      blocks_.insert(block + 1, std::move(upper));
    }
    return true;
  }

  // Removes the element equal to `value`; false if there is none.
  bool Erase(const T& value) {
    if (blocks_.empty()) return false;
    const auto block = BlockFor(value);
    const auto at = std::lower_bound(block->begin(), block->end(), value, less_);
    if (at == block->end() || less_(value, *at)) return false;
    block->erase(at);
    --size_;
    // Keep blocks from thinning out: every two neighbours hold more than half a block between
    // them (so there are at most 4 * size() / kMaxBlock + 1 blocks). Only the pairs with this
    // block can have broken that; merging it with the next then the previous mends both.
    size_t k = block - blocks_.begin();
    if (k + 1 < blocks_.size() && FitTogether(k)) MergeWithNext(k);
    if (k > 0 && FitTogether(k - 1)) MergeWithNext(--k);
    if (blocks_[k].empty()) blocks_.erase(blocks_.begin() + k);
    return true;
  }

  // Calls `visit(element)` for the elements from rank `first` (0 is the least) on, toward the
  // greatest if `forward`, else toward the least, until `visit` returns false or the elements
  // run out. Nothing if `first >= size()`.
  template <typename Visit>
  void VisitFrom(size_t first, bool forward, Visit visit) const {
    if (first >= size_) return;
    size_t block = 0;
    if (first < size_ / 2) {  // Count from the nearer end.
      while (first >= blocks_[block].size()) first -= blocks_[block++].size();
    } else {
      size_t to_end = size_ - first;  // Elements from rank `first` on, at least 1.
      block = blocks_.size() - 1;
      while (to_end > blocks_[block].size()) to_end -= blocks_[block--].size();
      first = blocks_[block].size() - to_end;
    }
    for (size_t i = first;;) {
      if (!visit(blocks_[block][i])) return;
      if (forward) {
        if (++i < blocks_[block].size()) continue;
        if (++block == blocks_.size()) return;
        i = 0;
      } else {
        if (i-- > 0) continue;
        if (block-- == 0) return;
        i = blocks_[block].size() - 1;
      }
    }
  }

 private:
  static constexpr size_t kMaxBlock = 256;

  // The block where `value` belongs: the first whose last element is not less than it, else
  // the last block. Requires a block.
  typename std::vector<std::vector<T>>::iterator BlockFor(const T& value) {
    return std::lower_bound(
        blocks_.begin(), blocks_.end() - 1, value,
        [this](const std::vector<T>& b, const T& v) { return less_(b.back(), v); });
  }

  bool FitTogether(size_t k) const {
    return blocks_[k].size() + blocks_[k + 1].size() <= kMaxBlock / 2;
  }
  void MergeWithNext(size_t k) {
    std::vector<T>& next = blocks_[k + 1];
    blocks_[k].insert(blocks_[k].end(), std::make_move_iterator(next.begin()),
                      std::make_move_iterator(next.end()));
    blocks_.erase(blocks_.begin() + k + 1);
  }

  Less less_;
  std::vector<std::vector<T>> blocks_;  // Sorted, none empty; ranks run across them in order.
  size_t size_ = 0;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_RANKED_SET_H_
