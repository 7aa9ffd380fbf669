// The outbound address policy: which resolved IP addresses (and ports) deliveries may connect
// to.
//
// Deliveries go to URLs that tenants configure, so a webhook must not be able to reach the
// host's own services or its private network (SSRF). The check runs on the address actually
// being connected to, after DNS resolution, so hostnames that resolve (or re-resolve) to a
// private address are caught too. CurlTransport applies it to every socket it opens.
//
//   RETURN_IF_ERROR(engine_internal::CheckDestinationAddress(address, allow_private));
//
// Thread-safe; no state.
#ifndef WEBHOOKS_ENGINE_HTTP_ADDRESS_POLICY_H_
#define WEBHOOKS_ENGINE_HTTP_ADDRESS_POLICY_H_

#include <sys/socket.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace webhooks {
namespace engine_internal {

// Returns OK if a delivery may connect to `address` (an AF_INET or AF_INET6 socket address).
// Unless `allow_private` is set, refuses with kPermissionDenied every address that is not a
// public unicast address:
//   IPv4: 0.0.0.0/8 ("this network"), 10/8, 100.64/10 (CGNAT), 127/8 (loopback),
//         169.254/16 (link-local, including the 169.254.169.254 metadata service),
//         172.16/12, 192.0.0/24 (IETF protocol assignments), the documentation ranges
//         192.0.2/24, 198.51.100/24, 203.0.113/24, 192.168/16, 198.18/15 (benchmarking),
//         224/4 (multicast), 240/4 (reserved) and 255.255.255.255 (broadcast).
//   IPv6: :: (unspecified), ::1 (loopback), 100::/64 (discard), 2001:db8::/32
//         (documentation), fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10
//         (site-local), ff00::/8 (multicast), 64:ff9b:1::/48 (local-use NAT64: where it
//         carries the IPv4 address is each network's choice, so it is refused as a whole).
//   IPv6 forms that embed IPv4 addresses are judged as those IPv4 addresses, since a
//   translator, tunnel or the kernel may turn the connection into one to that address:
//   IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96 (RFC 2765/6145),
//   IPv4-compatible ::/96 (deprecated, but Linux's sit0 tunnels it), NAT64 64:ff9b::/96
//   (RFC 6052), 6to4 2002::/16 (the IPv4 address in bits 16-47) and Teredo 2001::/32
//   (RFC 4380; both the client address, the last 32 bits inverted, and the server address in
//   bits 32-63 must be public).
// The message names the address and its range, for example "destination address 127.0.0.1
// is loopback; refused (use --allow_private_endpoints to allow it)"; for an embedded form it
// also names the IPv4 address ("... is loopback (embeds IPv4 127.0.0.1 as Teredo client);
// refused ...").
// Other address families are refused with kPermissionDenied even with `allow_private`.
absl::Status CheckDestinationAddress(const struct sockaddr* address, bool allow_private);

// The same check for an IP address literal ("10.0.0.1", "::1"; no brackets, no port).
// Returns kInvalidArgument if `ip` is not an IPv4 or IPv6 address literal.
absl::Status CheckDestinationAddress(absl::string_view ip, bool allow_private);

// Returns OK if a delivery may connect to the port of `address` (an AF_INET or AF_INET6 socket
// address): every port if `allowed_ports` is empty, else only those listed. Refuses with
// kPermissionDenied, for example "destination port 8080 is not an allowed delivery port
// (443, 8443); refused"; other address families are refused as by CheckDestinationAddress.
absl::Status CheckDestinationPort(const struct sockaddr* address,
                                  absl::Span<const int> allowed_ports);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_HTTP_ADDRESS_POLICY_H_
