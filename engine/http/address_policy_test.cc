#include "engine/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::StatusIs;

struct RefusedCase {
  const char* ip;
  const char* kind;  // What the message says the address is.
};

std::string RefusalMessage(const RefusedCase& c) {
  return absl::StrCat("destination address ", c.ip, " is ", c.kind,
                      "; refused (use --allow_private_endpoints to allow it)");
}

class RefusedAddressTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedAddressTest, RefusedUnlessPrivateAllowed) {
  const RefusedCase& c = GetParam();
  EXPECT_THAT(CheckDestinationAddress(c.ip, /*allow_private=*/false),
              StatusIs(absl::StatusCode::kPermissionDenied, RefusalMessage(c)));
  EXPECT_OK(CheckDestinationAddress(c.ip, /*allow_private=*/true));
}

constexpr char kThisNetwork[] = "unspecified (\"this network\", 0.0.0.0/8)";
constexpr char kTen[] = "private (10.0.0.0/8)";
constexpr char kCgnat[] = "shared address space (CGNAT, 100.64.0.0/10)";
constexpr char kLinkLocal4[] = "link-local (169.254.0.0/16)";
constexpr char kOneSevenTwo[] = "private (172.16.0.0/12)";
constexpr char kOneNineTwo[] = "private (192.168.0.0/16)";
constexpr char kBenchmarking[] = "reserved for benchmarking (198.18.0.0/15)";
constexpr char kReserved4[] = "reserved (240.0.0.0/4)";

INSTANTIATE_TEST_SUITE_P(
    Ipv4, RefusedAddressTest,
    ::testing::Values(
        RefusedCase{"0.0.0.0", kThisNetwork}, RefusedCase{"0.255.255.255", kThisNetwork},
        RefusedCase{"10.0.0.0", kTen}, RefusedCase{"10.255.255.255", kTen},
        RefusedCase{"100.64.0.0", kCgnat}, RefusedCase{"100.127.255.255", kCgnat},
        RefusedCase{"127.0.0.1", "loopback"}, RefusedCase{"127.255.255.254", "loopback"},
        RefusedCase{"169.254.0.1", kLinkLocal4}, RefusedCase{"169.254.169.254", kLinkLocal4},
        RefusedCase{"172.16.0.0", kOneSevenTwo}, RefusedCase{"172.31.255.255", kOneSevenTwo},
        RefusedCase{"192.0.0.8", "reserved for IETF protocol assignments (192.0.0.0/24)"},
        RefusedCase{"192.0.2.1", "reserved for documentation (192.0.2.0/24)"},
        RefusedCase{"192.88.99.1", "the deprecated 6to4 relay anycast prefix (192.88.99.0/24)"},
        RefusedCase{"192.168.0.0", kOneNineTwo}, RefusedCase{"192.168.255.255", kOneNineTwo},
        RefusedCase{"198.18.0.0", kBenchmarking}, RefusedCase{"198.19.255.255", kBenchmarking},
        RefusedCase{"198.51.100.7", "reserved for documentation (198.51.100.0/24)"},
        RefusedCase{"203.0.113.9", "reserved for documentation (203.0.113.0/24)"},
        RefusedCase{"224.0.0.1", "multicast"}, RefusedCase{"239.255.255.255", "multicast"},
        RefusedCase{"240.0.0.1", kReserved4}, RefusedCase{"255.255.255.254", kReserved4},
        RefusedCase{"255.255.255.255", "the broadcast address"}));

INSTANTIATE_TEST_SUITE_P(
    Ipv6, RefusedAddressTest,
    ::testing::Values(RefusedCase{"::", "unspecified"}, RefusedCase{"::1", "loopback"},
                      RefusedCase{"64:ff9b:1::a00:1", "local-use NAT64 (64:ff9b:1::/48)"},
                      RefusedCase{"100::1", "discard-only (100::/64)"},
                      RefusedCase{"2001:db8::1", "reserved for documentation (2001:db8::/32)"},
                      RefusedCase{"fc00::1", "private (unique local, fc00::/7)"},
                      RefusedCase{"fdff:ffff::1", "private (unique local, fc00::/7)"},
                      RefusedCase{"fe80::1", "link-local (fe80::/10)"},
                      RefusedCase{"febf::1", "link-local (fe80::/10)"},
                      RefusedCase{"fec0::1", "site-local (fec0::/10)"},
                      RefusedCase{"ff02::1", "multicast"}, RefusedCase{"ff0e::1", "multicast"}));

INSTANTIATE_TEST_SUITE_P(
    Ipv4InIpv6, RefusedAddressTest,
    ::testing::Values(
        RefusedCase{"::ffff:127.0.0.1", "loopback (embeds IPv4 127.0.0.1)"},
        RefusedCase{"::ffff:10.1.2.3", "private (10.0.0.0/8) (embeds IPv4 10.1.2.3)"},
        RefusedCase{"::ffff:169.254.169.254",
                    "link-local (169.254.0.0/16) (embeds IPv4 169.254.169.254)"},
        RefusedCase{"::ffff:0.0.0.0",
                    "unspecified (\"this network\", 0.0.0.0/8) (embeds IPv4 0.0.0.0)"},
        RefusedCase{"::127.0.0.1", "loopback (embeds IPv4 127.0.0.1)"},
        RefusedCase{"::192.168.1.1", "private (192.168.0.0/16) (embeds IPv4 192.168.1.1)"},
        RefusedCase{"64:ff9b::7f00:1", "loopback (embeds IPv4 127.0.0.1)"},
        RefusedCase{"64:ff9b::a9fe:a9fe",
                    "link-local (169.254.0.0/16) (embeds IPv4 169.254.169.254)"},
        RefusedCase{"2002:7f00:1::1", "loopback (embeds IPv4 127.0.0.1)"},
        RefusedCase{"2002:c0a8:101::", "private (192.168.0.0/16) (embeds IPv4 192.168.1.1)"},
        // IPv4-translated (SIIT, RFC 2765/6145): ::ffff:0:a.b.c.d.
        RefusedCase{"::ffff:0:7f00:1", "loopback (embeds IPv4 127.0.0.1)"},
        RefusedCase{"::ffff:0:a00:1", "private (10.0.0.0/8) (embeds IPv4 10.0.0.1)"},
        RefusedCase{"::ffff:0:a9fe:a9fe",
                    "link-local (169.254.0.0/16) (embeds IPv4 169.254.169.254)"},
        RefusedCase{"::ffff:0:0:0",
                    "unspecified (\"this network\", 0.0.0.0/8) (embeds IPv4 0.0.0.0)"},
        // Teredo (RFC 4380): 2001:0:<server IPv4>:<flags>:<port>:<client IPv4, inverted>.
        // RFC 4380's own example: server 65.54.227.120, client 192.0.2.45.
        RefusedCase{"2001:0:4136:e378:8000:63bf:3fff:fdd2",
                    "reserved for documentation (192.0.2.0/24) (embeds IPv4 192.0.2.45 as "
                    "Teredo client)"},
        RefusedCase{"2001:0:4136:e378:8000:63bf:80ff:fffe",
                    "loopback (embeds IPv4 127.0.0.1 as Teredo client)"},
        RefusedCase{"2001:0:4136:e378:8000:63bf:5601:5601",
                    "link-local (169.254.0.0/16) (embeds IPv4 169.254.169.254 as Teredo "
                    "client)"},
        RefusedCase{"2001:0:a00:1:8000:63bf:f7f7:f7f7",
                    "private (10.0.0.0/8) (embeds IPv4 10.0.0.1 as Teredo server)"},
        RefusedCase{"2001:0:7f00:1::ffff:ffff",
                    "unspecified (\"this network\", 0.0.0.0/8) (embeds IPv4 0.0.0.0 as Teredo "
                    "client)"}));

class AllowedAddressTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AllowedAddressTest, PublicAddressesAreAllowed) {
  EXPECT_OK(CheckDestinationAddress(GetParam(), /*allow_private=*/false));
  EXPECT_OK(CheckDestinationAddress(GetParam(), /*allow_private=*/true));
}

// Public neighbours of every refused range's edges, and public embedded forms.
INSTANTIATE_TEST_SUITE_P(
    Public, AllowedAddressTest,
    ::testing::Values("1.0.0.0", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255",
                      "100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255",
                      "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0", "192.167.255.255",
                      "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
                      "2606:4700:4700::1111", "2001:4860:4860::8888", "::2:0:0:1", "::ffff:8.8.8.8",
                      "::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "fbff:ffff::1", "fe7f::1",
                      "2001:db9::1",
                      // Translated and Teredo forms of public addresses.
                      "::ffff:0:808:808", "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
                      // Not Teredo (2001:1::/32): no IPv4 inside.
                      "2001:1:a00:1::1"));

TEST(CheckDestinationAddressTest, SockaddrForms) {
  struct sockaddr_in in4 = {};
  in4.sin_family = AF_INET;
  in4.sin_port = htons(80);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr), 1);
  EXPECT_THAT(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&in4), false),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "destination address 127.0.0.1 is loopback; refused (use "
                       "--allow_private_endpoints to allow it)"));
  EXPECT_OK(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&in4), true));

  struct sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "2606:4700:4700::1111", &in6.sin6_addr), 1);
  EXPECT_OK(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&in6), false));
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:192.168.0.1", &in6.sin6_addr), 1);
  EXPECT_THAT(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&in6), false),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "destination address ::ffff:192.168.0.1 is private (192.168.0.0/16) "
                       "(embeds IPv4 192.168.0.1); refused (use --allow_private_endpoints to "
                       "allow it)"));
}

TEST(CheckDestinationAddressTest, OtherFamiliesAreAlwaysRefused) {
  struct sockaddr_un un = {};
  un.sun_family = AF_UNIX;
  const std::string message =
      absl::StrCat("destination address family ", AF_UNIX, " is not IPv4 or IPv6; refused");
  EXPECT_THAT(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&un), false),
              StatusIs(absl::StatusCode::kPermissionDenied, message));
  EXPECT_THAT(CheckDestinationAddress(reinterpret_cast<const sockaddr*>(&un), true),
              StatusIs(absl::StatusCode::kPermissionDenied, message));
  EXPECT_THAT(
      CheckDestinationAddress(static_cast<const sockaddr*>(nullptr), false),
      StatusIs(absl::StatusCode::kPermissionDenied, "destination address is missing; refused"));
}

TEST(CheckDestinationAddressTest, RejectsNonLiterals) {
  for (const char* text : {"localhost", "[::1]", "127.0.0.1:80", "", "1.2.3", "::g"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(CheckDestinationAddress(absl::string_view(text), false),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("\"", text, "\" is not an IPv4 or IPv6 address literal")));
  }
}

TEST(CheckDestinationPortTest, OnlyListedPortsWhenThereIsAList) {
  struct sockaddr_in in4 = {};
  in4.sin_family = AF_INET;
  in4.sin_port = htons(8080);
  ASSERT_EQ(inet_pton(AF_INET, "8.8.8.8", &in4.sin_addr), 1);
  const auto* v4 = reinterpret_cast<const sockaddr*>(&in4);
  struct sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  ASSERT_EQ(inet_pton(AF_INET6, "2606:4700:4700::1111", &in6.sin6_addr), 1);
  const auto* v6 = reinterpret_cast<const sockaddr*>(&in6);

  EXPECT_OK(CheckDestinationPort(v4, {}));
  EXPECT_OK(CheckDestinationPort(v6, {}));
  EXPECT_OK(CheckDestinationPort(v4, {443, 8080}));
  EXPECT_OK(CheckDestinationPort(v6, {443, 8443}));
  EXPECT_THAT(CheckDestinationPort(v4, {443, 8443}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "destination port 8080 is not an allowed delivery port (443, 8443); "
                       "refused"));
  EXPECT_THAT(CheckDestinationPort(v6, {8443}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "destination port 443 is not an allowed delivery port (8443); refused"));

  struct sockaddr_un un = {};
  un.sun_family = AF_UNIX;
  EXPECT_THAT(CheckDestinationPort(reinterpret_cast<const sockaddr*>(&un), {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("destination address family ", AF_UNIX,
                                    " is not IPv4 or IPv6; refused")));
  EXPECT_THAT(
      CheckDestinationPort(nullptr, {}),
      StatusIs(absl::StatusCode::kPermissionDenied, "destination address is missing; refused"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
