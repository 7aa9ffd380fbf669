#include "engine/internal/ranked_set.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A key like WebhookIndex's: a number, then a string (moved, not copied, in the blocks).
using Key = std::pair<int, std::string>;

template <typename T>
std::vector<T> From(const RankedSet<T>& set, size_t first, bool forward, size_t limit) {
  std::vector<T> visited;
  set.VisitFrom(first, forward, [&](const T& value) {
    visited.push_back(value);
    return visited.size() < limit;
  });
  return visited;
}

// The same, from the reference model.
template <typename T>
std::vector<T> From(const std::set<T>& set, size_t first, bool forward, size_t limit) {
  std::vector<T> visited;
  if (first >= set.size()) return visited;
  auto it = std::next(set.begin(), first);
  while (visited.size() < limit) {
    visited.push_back(*it);
    if (forward ? ++it == set.end() : it-- == set.begin()) break;
  }
  return visited;
}

TEST(RankedSetTest, VisitsFromAnyRankInEitherDirection) {
  RankedSet<int> set;
  EXPECT_THAT(From(set, 0, true, 10), IsEmpty());
  for (int v : {30, 10, 20}) EXPECT_TRUE(set.Insert(v));
  EXPECT_FALSE(set.Insert(20));
  EXPECT_EQ(set.size(), 3u);
  EXPECT_THAT(From(set, 1, true, 10), ElementsAre(20, 30));
  EXPECT_THAT(From(set, 1, false, 10), ElementsAre(20, 10));
  EXPECT_THAT(From(set, 2, false, 2), ElementsAre(30, 20));
  EXPECT_THAT(From(set, 3, true, 10), IsEmpty());
  EXPECT_TRUE(set.Erase(10));
  EXPECT_FALSE(set.Erase(10));
  EXPECT_THAT(From(set, 0, true, 10), ElementsAre(20, 30));
}

// Values in increasing order leave full blocks behind them: 2,550 take 10 blocks of 255.
// Values in decreasing order split blocks in halves.
TEST(RankedSetTest, IncreasingValuesFillTheirBlocks) {
  RankedSet<int> increasing;
  for (int v = 0; v < 2550; ++v) increasing.Insert(v);
  EXPECT_EQ(increasing.blocks(), 10u);
  RankedSet<int> decreasing;
  for (int v = 2550; v > 0; --v) decreasing.Insert(v);
  EXPECT_EQ(decreasing.blocks(), 19u);
  EXPECT_THAT(From(increasing, 254, true, 3), ElementsAre(254, 255, 256));
  EXPECT_THAT(From(decreasing, 126, true, 3), ElementsAre(127, 128, 129));
}

// Random inserts, erases and key changes (erase, then insert the new key, as WebhookIndex does
// when a webhook is renamed or modified), checked after each step against std::set: the size,
// and the elements read from random ranks both ways, and the whole set now and then.
TEST(RankedSetTest, MatchesStdSetUnderRandomChanges) {
  std::mt19937 random(20261130);
  RankedSet<Key> set;
  std::set<Key> reference;
  std::vector<Key> present;  // The reference's keys, to pick one at random.
  const auto key = [&](int range) {
    const int n = std::uniform_int_distribution<int>(0, range)(random);
    return Key(n % 1000, absl::StrCat("name-", n));
  };
  const auto pick = [&]() -> Key& {
    return present[std::uniform_int_distribution<size_t>(0, present.size() - 1)(random)];
  };
  for (int step = 0; step < 60000; ++step) {
    // Grow to about 9,000 keys, shrink to few, grow again: blocks split and merge.
    const int insert_percent = (step / 15000) % 2 == 0 ? 70 : 10;
    const int roll = std::uniform_int_distribution<int>(0, 99)(random);
    if (roll < insert_percent || present.empty()) {
      // A third of the inserts append (a key above every other), as creation times do.
      const Key k = roll % 3 == 0 ? Key(1000 + step, "") : key(50000);
      const bool inserted = reference.insert(k).second;
      ASSERT_EQ(set.Insert(k), inserted);
      if (inserted) present.push_back(k);
    } else if (roll < insert_percent + 10) {  // Mostly absent.
      const Key k = key(50000);
      ASSERT_EQ(set.Erase(k), reference.erase(k) == 1);
      present.erase(std::remove(present.begin(), present.end(), k), present.end());
    } else {
      Key& k = pick();
      ASSERT_TRUE(set.Erase(k));
      reference.erase(k);
      const Key changed = key(50000);
      // A key change: the element moves to another rank.
      if (roll < insert_percent + 20 && reference.insert(changed).second) {
        ASSERT_TRUE(set.Insert(changed));
        k = changed;
      } else {
        k = present.back();
        present.pop_back();
      }
    }
    ASSERT_EQ(set.size(), reference.size()) << "step " << step;
    const size_t rank = std::uniform_int_distribution<size_t>(0, reference.size() + 1)(random);
    const bool forward = step % 2 == 0;
    ASSERT_EQ(From(set, rank, forward, 60), From(reference, rank, forward, 60)) << "step " << step;
    if (step % 1000 == 0) {
      ASSERT_EQ(From(set, 0, true, set.size() + 1),
                std::vector<Key>(reference.begin(), reference.end()));
    }
  }
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
