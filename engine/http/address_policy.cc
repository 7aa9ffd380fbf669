#include "engine/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace webhooks {
namespace engine_internal {
namespace {

struct Range4 {
  uint32_t network;  // Host byte order.
  int prefix_length;
  const char* kind;  // Completes "destination address X is ...".
};

// Most specific first where ranges nest (255.255.255.255 lies inside 240/4).
constexpr Range4 kRefused4[] = {
    {0x00000000, 8, "unspecified (\"this network\", 0.0.0.0/8)"},
    {0x0a000000, 8, "private (10.0.0.0/8)"},
    {0x64400000, 10, "shared address space (CGNAT, 100.64.0.0/10)"},
    {0x7f000000, 8, "loopback"},
    {0xa9fe0000, 16, "link-local (169.254.0.0/16)"},
    {0xac100000, 12, "private (172.16.0.0/12)"},
    {0xc0000000, 24, "reserved for IETF protocol assignments (192.0.0.0/24)"},
    {0xc0000200, 24, "reserved for documentation (192.0.2.0/24)"},
    {0xc0586300, 24, "the deprecated 6to4 relay anycast prefix (192.88.99.0/24)"},
    {0xc0a80000, 16, "private (192.168.0.0/16)"},
    {0xc6120000, 15, "reserved for benchmarking (198.18.0.0/15)"},
    {0xc6336400, 24, "reserved for documentation (198.51.100.0/24)"},
    {0xcb007100, 24, "reserved for documentation (203.0.113.0/24)"},
    {0xe0000000, 4, "multicast"},
    {0xffffffff, 32, "the broadcast address"},
    {0xf0000000, 4, "reserved (240.0.0.0/4)"},
};

struct Range6 {
  uint8_t network[16];
  int prefix_length;
  const char* kind;
};

constexpr Range6 kRefused6[] = {
    {{}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "local-use NAT64 (64:ff9b:1::/48)"},
    {{0x01, 0x00}, 64, "discard-only (100::/64)"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "reserved for documentation (2001:db8::/32)"},
    {{0xfc}, 7, "private (unique local, fc00::/7)"},
    {{0xfe, 0x80}, 10, "link-local (fe80::/10)"},
    {{0xfe, 0xc0}, 10, "site-local (fec0::/10)"},
    {{0xff}, 8, "multicast"},
};

bool InRange6(const uint8_t (&address)[16], const Range6& range) {
  const int full_bytes = range.prefix_length / 8;
  if (std::memcmp(address, range.network, full_bytes) != 0) return false;
  const int rest = range.prefix_length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address[full_bytes] & mask) == (range.network[full_bytes] & mask);
}

std::optional<const char*> RefusedKind4(uint32_t address) {
  for (const Range4& range : kRefused4) {
    const uint32_t mask = range.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - range.prefix_length);
    if ((address & mask) == range.network) return range.kind;
  }
  return std::nullopt;
}

bool HasPrefix(const uint8_t (&address)[16], std::initializer_list<uint8_t> prefix) {
  int i = 0;
  for (uint8_t byte : prefix) {
    if (address[i++] != byte) return false;
  }
  return true;
}

uint32_t Ipv4At(const uint8_t (&address)[16], int offset) {
  return (uint32_t{address[offset]} << 24) | (uint32_t{address[offset + 1]} << 16) |
         (uint32_t{address[offset + 2]} << 8) | uint32_t{address[offset + 3]};
}

std::string FormatIpv4(uint32_t address) {
  return absl::StrCat(address >> 24, ".", (address >> 16) & 0xff, ".", (address >> 8) & 0xff, ".",
                      address & 0xff);
}

std::string FormatIpv6(const uint8_t (&address)[16]) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, address, text, sizeof(text)) == nullptr) return "(invalid)";
  return text;
}

absl::Status Refused(absl::string_view address, absl::string_view kind) {
  return absl::PermissionDeniedError(
      absl::StrCat("destination address ", address, " is ", kind,
                   "; refused (use --allow_private_endpoints to allow it)"));
}

absl::Status Check4(uint32_t address) {
  if (std::optional<const char*> kind = RefusedKind4(address)) {
    return Refused(FormatIpv4(address), *kind);
  }
  return absl::OkStatus();
}

struct EmbeddedIpv4 {
  uint32_t address;
  const char* role;  // Completes "(embeds IPv4 a.b.c.d...)"; empty if it is the only one.
};

// The IPv4 addresses that `address` carries, in the order they are judged; none for a native
// IPv6 address. The local-use NAT64 prefix 64:ff9b:1::/48 is refused as a whole (kRefused6)
// because where it embeds the IPv4 address is the network's choice.
std::vector<EmbeddedIpv4> EmbeddedIpv4s(const uint8_t (&address)[16]) {
  // IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96, IPv4-compatible ::/96 and
  // NAT64 64:ff9b::/96 all carry the address in the last 32 bits.
  if (HasPrefix(address, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}) ||
      HasPrefix(address, {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}) ||
      HasPrefix(address, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) ||
      HasPrefix(address, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return {{Ipv4At(address, 12), ""}};
  }
  if (HasPrefix(address, {0x20, 0x02})) {  // 6to4 2002:AABB:CCDD::/48.
    return {{Ipv4At(address, 2), ""}};
  }
  if (HasPrefix(address, {0x20, 0x01, 0x00, 0x00})) {
    // Teredo 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (RFC 4380): packets go to the client's
    // public IPv4 address (stored inverted in the last 32 bits), and may go to its Teredo
    // server (bits 32-63) to open the way; both must be public.
    return {{~Ipv4At(address, 12), " as Teredo client"}, {Ipv4At(address, 4), " as Teredo server"}};
  }
  return {};
}

absl::Status Check6(const uint8_t (&address)[16]) {
  for (const Range6& range : kRefused6) {
    if (InRange6(address, range)) return Refused(FormatIpv6(address), range.kind);
  }
  // Forms that carry IPv4 addresses: judged as those addresses.
  for (const EmbeddedIpv4& embedded : EmbeddedIpv4s(address)) {
    if (std::optional<const char*> kind = RefusedKind4(embedded.address)) {
      return Refused(
          FormatIpv6(address),
          absl::StrCat(*kind, " (embeds IPv4 ", FormatIpv4(embedded.address), embedded.role, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDestinationAddress(const struct sockaddr* address, bool allow_private) {
  if (address == nullptr) {
    return absl::PermissionDeniedError("destination address is missing; refused");
  }
  switch (address->sa_family) {
    case AF_INET: {
      if (allow_private) return absl::OkStatus();
      struct sockaddr_in in4;
      std::memcpy(&in4, address, sizeof(in4));
      return Check4(ntohl(in4.sin_addr.s_addr));
    }
    case AF_INET6: {
      if (allow_private) return absl::OkStatus();
      struct sockaddr_in6 in6;
      std::memcpy(&in6, address, sizeof(in6));
      uint8_t bytes[16];
      std::memcpy(bytes, &in6.sin6_addr, sizeof(bytes));
      return Check6(bytes);
    }
    default:
      return absl::PermissionDeniedError(absl::StrCat(
          "destination address family ", address->sa_family, " is not IPv4 or IPv6; refused"));
  }
}

absl::Status CheckDestinationAddress(absl::string_view ip, bool allow_private) {
  const std::string text(ip);
  struct sockaddr_in in4 = {};
  if (inet_pton(AF_INET, text.c_str(), &in4.sin_addr) == 1) {
    in4.sin_family = AF_INET;
    return CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&in4), allow_private);
  }
  struct sockaddr_in6 in6 = {};
  if (inet_pton(AF_INET6, text.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    return CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&in6), allow_private);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", ip, "\" is not an IPv4 or IPv6 address literal"));
}

absl::Status CheckDestinationPort(const struct sockaddr* address,
                                  absl::Span<const int> allowed_ports) {
  int port = 0;
  if (address != nullptr && address->sa_family == AF_INET) {
    struct sockaddr_in in4;
    std::memcpy(&in4, address, sizeof(in4));
    port = ntohs(in4.sin_port);
  } else if (address != nullptr && address->sa_family == AF_INET6) {
    struct sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof(in6));
    port = ntohs(in6.sin6_port);
  } else {
    return CheckDestinationAddress(address, /*allow_private=*/true);  // Refuses it.
  }
  if (allowed_ports.empty() || absl::c_linear_search(allowed_ports, port)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("destination port ", port, " is not an allowed delivery port (",
                   absl::StrJoin(allowed_ports, ", "), "); refused"));
}

}  // namespace engine_internal
}  // namespace webhooks
