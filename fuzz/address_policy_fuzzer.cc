// Fuzzes engine_internal::CheckDestinationAddress (engine/http/address_policy.h). The first byte
// picks the form: an IP literal, or raw sockaddr_in / sockaddr_in6 bytes (family forced or
// taken from the input). Properties: no crash or sanitizer report; allow_private never refuses
// an AF_INET or AF_INET6 address that the strict policy accepts; for an IP literal that
// inet_pton accepts, the string and sockaddr forms give the same verdict; an IPv4 address's
// IPv4-mapped, IPv4-translated and Teredo-client (with a public server) IPv6 forms get the
// verdict of the IPv4 address.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/http/address_policy.h"

namespace {

using webhooks::engine_internal::CheckDestinationAddress;

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckSockaddr(const struct sockaddr* address, int family) {
  const absl::Status strict = CheckDestinationAddress(address, /*allow_private=*/false);
  const absl::Status lenient = CheckDestinationAddress(address, /*allow_private=*/true);
  if (!strict.ok() && strict.code() != absl::StatusCode::kPermissionDenied) {
    Fail("unexpected status code", strict.ToString());
  }
  if (family == AF_INET || family == AF_INET6) {
    if (strict.ok() && !lenient.ok()) Fail("allow_private refused more", lenient.ToString());
    if (!lenient.ok()) Fail("allow_private refused an IP address", lenient.ToString());
  } else if (lenient.ok() || strict.ok()) {
    Fail("accepted another address family", "");
  }
}

void CheckLiteral(const std::string& ip) {
  const absl::Status strict = CheckDestinationAddress(absl::string_view(ip), false);
  const absl::Status lenient = CheckDestinationAddress(absl::string_view(ip), true);
  if (strict.ok() && !lenient.ok()) Fail("allow_private refused more", ip);

  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
  std::memset(&v4, 0, sizeof(v4));
  std::memset(&v6, 0, sizeof(v6));
  if (inet_pton(AF_INET, ip.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    const absl::Status raw =
        CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&v4), false);
    if (raw.ok() != strict.ok()) Fail("string and sockaddr forms disagree", ip);
    // The same address, IPv4-mapped: ::ffff:a.b.c.d.
    v6.sin6_family = AF_INET6;
    v6.sin6_addr.s6_addr[10] = 0xff;
    v6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6.sin6_addr.s6_addr[12], &v4.sin_addr, 4);
    const absl::Status mapped =
        CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&v6), false);
    if (mapped.ok() != strict.ok()) Fail("IPv4-mapped form judged differently", ip);
    // IPv4-translated: ::ffff:0:a.b.c.d.
    v6.sin6_addr.s6_addr[8] = 0xff;
    v6.sin6_addr.s6_addr[9] = 0xff;
    v6.sin6_addr.s6_addr[10] = 0;
    v6.sin6_addr.s6_addr[11] = 0;
    const absl::Status translated =
        CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&v6), false);
    if (translated.ok() != strict.ok()) Fail("IPv4-translated form judged differently", ip);
    // Teredo, with a public server (65.54.227.120) and a.b.c.d as the client, inverted:
    // 2001:0:4136:e378:8000:63bf:~a.b.c.d.
    const uint8_t teredo_prefix[12] = {0x20, 0x01, 0,    0, 0x41, 0x36,
                                       0xe3, 0x78, 0x80, 0, 0x63, 0xbf};
    std::memcpy(&v6.sin6_addr.s6_addr[0], teredo_prefix, sizeof(teredo_prefix));
    for (int i = 12; i < 16; ++i) v6.sin6_addr.s6_addr[i] ^= 0xff;
    const absl::Status teredo =
        CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&v6), false);
    if (teredo.ok() != strict.ok()) Fail("Teredo client form judged differently", ip);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    const absl::Status raw =
        CheckDestinationAddress(reinterpret_cast<const struct sockaddr*>(&v6), false);
    if (raw.ok() != strict.ok()) Fail("string and sockaddr forms disagree", ip);
  } else if (strict.ok() || lenient.ok()) {
    Fail("accepted what inet_pton rejects", ip);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  switch (mode % 4) {
    case 0: {
      CheckLiteral(std::string(reinterpret_cast<const char*>(data), size));
      break;
    }
    case 1: {  // AF_INET from 4 bytes of address.
      struct sockaddr_in v4;
      std::memset(&v4, 0, sizeof(v4));
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, data, size < 4 ? size : 4);
      CheckSockaddr(reinterpret_cast<const struct sockaddr*>(&v4), AF_INET);
      break;
    }
    case 2: {  // AF_INET6 from 16 bytes of address.
      struct sockaddr_in6 v6;
      std::memset(&v6, 0, sizeof(v6));
      v6.sin6_family = AF_INET6;
      std::memcpy(&v6.sin6_addr, data, size < 16 ? size : 16);
      CheckSockaddr(reinterpret_cast<const struct sockaddr*>(&v6), AF_INET6);
      break;
    }
    default: {  // A whole sockaddr_storage from the input, family included.
      struct sockaddr_storage storage;
      std::memset(&storage, 0, sizeof(storage));
      std::memcpy(&storage, data, size < sizeof(storage) ? size : sizeof(storage));
      CheckSockaddr(reinterpret_cast<const struct sockaddr*>(&storage), storage.ss_family);
      break;
    }
  }
  return 0;
}
