#include "engine/persistence/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

// Vectors from RFC 3720, appendix B.4, and the common check value.
TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46dd794eu);
}

TEST(Crc32cTest, ContinuesAcrossPieces) {
  EXPECT_EQ(Crc32c("456789", Crc32c("123")), Crc32c("123456789"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
