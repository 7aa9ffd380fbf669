// The random values of the REST property test's requests; see generators.h.
#include "grpc_service/rest_property/generators.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/rest_property/json.h"
#include "grpc_service/test_environment.h"
#include "proto/principals.pb.h"

namespace webhooks {
namespace rest_property {

using ::webhooks::testing::kAdminToken;

std::string Rng::Hex(int digits) {
  std::string out;
  for (int i = 0; i < digits; ++i) out.push_back("0123456789abcdef"[Below(16)]);
  return out;
}

std::string NewSecret(Rng& rng) { return absl::StrCat(kMarkerHead, rng.Hex(12), kMarkerTail); }

// --- Principals -------------------------------------------------------------------------------

namespace {

struct User {
  std::vector<v1::Privilege> privileges;
  std::vector<size_t> orgs;  // Indexes into Principals::orgs.
};

// Primary and 2 to 4 more orgs with random ids and names.
std::vector<Org> MakeOrgs(Rng& rng) {
  std::vector<Org> orgs = {{"0", "Primary"}};
  const size_t org_count = 3 + rng.Below(3);
  while (orgs.size() < org_count) {
    const std::string id = absl::StrCat(1000000000 + rng.Below(1000000000));
    if (std::any_of(orgs.begin(), orgs.end(), [&](const Org& o) { return o.id == id; })) {
      continue;
    }
    orgs.push_back({id, absl::StrCat("org-", orgs.size(), "-", rng.Hex(4))});
  }
  return orgs;
}

// Five users with fixed roles and 2 to 4 with random privileges and memberships.
std::vector<User> MakeUsers(size_t org_count, Rng& rng) {
  std::vector<User> users = {
      {{v1::ADMINISTRATION}, {0, 1, 2}},  // The root administrator; kAdminToken in Primary.
      {{v1::DEVELOPER}, {1, 2}},
      {{v1::ADMINISTRATION}, {1}},  // An administrator of one org only.
      {{v1::CAN_MANAGE_WEBHOOKS, v1::APPLICATION_ADMINISTRATION}, {2}},  // Count with RBAC.
      {{}, {0, 1}},                                                      // No privilege.
  };
  const v1::Privilege kPrivileges[] = {v1::ADMINISTRATION, v1::DEVELOPER, v1::CAN_MANAGE_WEBHOOKS,
                                       v1::APPLICATION_ADMINISTRATION};
  for (int extra = 2 + rng.Below(3); extra > 0; --extra) {
    User user;
    for (const v1::Privilege privilege : kPrivileges) {
      if (rng.Percent(30)) user.privileges.push_back(privilege);
    }
    for (size_t org = 0; org < org_count; ++org) {
      if (rng.Percent(40)) user.orgs.push_back(org);
    }
    if (user.orgs.empty()) user.orgs.push_back(rng.Below(org_count));
    users.push_back(user);
  }
  return users;
}

}  // namespace

Principals MakePrincipals(uint64_t seed, Rng& rng) {
  Principals principals;
  principals.rbac = seed % 2 == 1;
  const bool rbac = principals.rbac;
  principals.orgs = MakeOrgs(rng);
  const std::vector<Org>& orgs = principals.orgs;
  const std::vector<User> users = MakeUsers(orgs.size(), rng);

  std::string text = absl::StrCat("rbac_enabled: ", rbac ? "true" : "false", "\n");
  for (const Org& org : orgs) {
    absl::StrAppend(&text, "orgs { id: \"", org.id, "\" name: \"", org.name, "\" }\n");
  }
  for (size_t u = 0; u < users.size(); ++u) {
    const User& user = users[u];
    absl::StrAppend(&text, "users { id: \"u", u, "\" name: \"u", u, "@example.com\"");
    std::vector<std::string> names;
    for (const v1::Privilege privilege : user.privileges) {
      absl::StrAppend(&text, " privileges: ", v1::Privilege_Name(privilege));
      names.push_back(v1::Privilege_Name(privilege));
    }
    for (const size_t org : user.orgs) {
      absl::StrAppend(&text, " org_ids: \"", orgs[org].id, "\"");
    }
    absl::StrAppend(&text, " }\n");
    const auto has = [&](v1::Privilege privilege) {
      return std::find(user.privileges.begin(), user.privileges.end(), privilege) !=
             user.privileges.end();
    };
    for (const size_t org : user.orgs) {
      Caller caller;
      caller.token = u == 0 && org == 0 ? std::string(kAdminToken) : NewSecret(rng);
      caller.known = true;
      caller.org_id = orgs[org].id;
      caller.admin = has(v1::ADMINISTRATION);
      caller.webhooks =
          caller.admin || has(v1::DEVELOPER) || (rbac && has(v1::CAN_MANAGE_WEBHOOKS));
      caller.preferences =
          caller.admin || has(v1::DEVELOPER) || (rbac && has(v1::APPLICATION_ADMINISTRATION));
      caller.cross_org = caller.admin && caller.org_id == "0";
      caller.description = absl::StrCat("u", u, " [", absl::StrJoin(names, ","), "] in org ",
                                        orgs[org].name, " (", orgs[org].id, ")");
      absl::StrAppend(&text, "tokens { sha256: \"", TokenSha256Hex(caller.token), "\" user_id: \"u",
                      u, "\" org_id: \"", caller.org_id, "\" }\n");
      principals.callers.push_back(caller);
    }
  }
  principals.text = text;
  return principals;
}

// --- Callers and fields -----------------------------------------------------------------------

const Caller& Generator::PickCaller() {
  static const Caller* const kNobody = [] {
    auto* caller = new Caller;
    caller->description = "no token";
    return caller;
  }();
  const int pick = rng_.Below(100);
  if (pick < 2) return *kNobody;
  if (pick < 5) {
    stranger_.token = NewSecret();
    stranger_.description = "an unknown token";
    return stranger_;
  }
  return rng_.Of(model_.callers());
}

std::string Generator::PickName(bool* valid) {
  static const std::vector<std::string> kNames = {
      "hook", "Hook", "shared", "reports", "a b", "x/y?z%", "\303\234bersicht", "Alpha", "zeta"};
  *valid = true;
  switch (rng_.Below(20)) {
    case 0:
      *valid = false;
      return "";
    case 1:
      *valid = false;
      return std::string(257, 'n');
    case 2:
      *valid = false;
      return "two\nlines";
    case 3:
      if (!model_.ids_ever().empty()) return rng_.Of(model_.ids_ever());  // Another's id.
      return "hook";
    case 4:
    case 5:
      return absl::StrCat("hook-", rng_.Below(50));
    default:
      return rng_.Of(kNames);
  }
}

std::string Generator::PickUrl(bool* valid) {
  static const std::vector<std::string> kGood = {
      "https://r.example/hook", "http://r.example:8080/in?x=1", "HTTPS://R.EXAMPLE/UP",
      "https://[2001:db8::1]:8443/h"};
  static const std::vector<std::string> kBad = {"ftp://r.example/",
                                                "https://",
                                                "not a url",
                                                "https://u:p@r.example/",
                                                "https://r.example:0/",
                                                "https://r .example/",
                                                ""};
  *valid = rng_.Percent(85);
  return *valid ? rng_.Of(kGood) : rng_.Of(kBad);
}

std::string Generator::PickSecret(bool* valid, bool* redacted) {
  *valid = true;
  *redacted = false;
  const int pick = rng_.Below(100);
  if (pick < 8) {
    *redacted = true;
    return "***";
  }
  if (pick < 11) {
    *valid = false;
    return "";
  }
  if (pick < 14) {
    *valid = false;
    return absl::StrCat(kMarkerHead, rng_.Hex(4), "\r\n", rng_.Hex(4), kMarkerTail);
  }
  if (pick < 16) {
    *valid = false;
    return absl::StrCat(NewSecret(), std::string(4096, 'x'));
  }
  return NewSecret();
}

std::string Generator::PickAuthentication(Draft* draft) {
  bool valid = true;
  bool redacted = false;
  const std::string secret = PickSecret(&valid, &redacted);
  const int kind = rng_.Below(20);
  JsonObject json;
  if (kind < 4) {
    draft->auth = Auth::kApiKey;
    const bool good_key = rng_.Percent(90);
    valid = valid && good_key;
    json.Add("API_KEY", JsonObject()
                            .Add("key", Quote(good_key ? "X-API-Key" : "Bad Header"))
                            .Add("value", Quote(secret))
                            .Build());
  } else if (kind < 8) {
    draft->auth = Auth::kBasic;
    const bool good_user = rng_.Percent(90);
    valid = valid && good_user;
    json.Add("BASIC_AUTH", JsonObject()
                               .Add("username", Quote(good_user ? "svc" : "svc:ops"))
                               .Add("password", Quote(secret))
                               .Build());
  } else if (kind < 13) {
    draft->auth = Auth::kBearer;
    json.Add("BEARER_TOKEN", Quote(secret));
  } else if (kind < 18) {
    draft->auth = Auth::kOAuth2;
    const bool good_url = rng_.Percent(90);
    valid = valid && good_url;
    json.Add("OAUTH2", JsonObject()
                           .Add("authorization_url", Quote(good_url ? kTokenUrl : "nope"))
                           .Add("client_id", Quote("client"))
                           .Add("client_secret", Quote(secret))
                           .Build());
  } else if (kind < 19) {
    // {}: no kind at all, which is no authentication (as {"BEARER_TOKEN": null} is); on
    // update it removes the stored one. No secret is sent.
    draft->auth = Auth::kNone;
    valid = true;
    redacted = false;
  } else {
    // Two kinds: protobuf's parser refuses a second member of the oneof.
    draft->auth = Auth::kBearer;
    draft->parses = false;
    json.Add("BEARER_TOKEN", Quote(secret))
        .Add("API_KEY",
             JsonObject().Add("key", Quote("X-API-Key")).Add("value", Quote(NewSecret())).Build());
  }
  draft->valid = draft->valid && valid;
  draft->auth_redacted = redacted;
  return json.Build();
}

std::string Generator::PickSignature(Draft* draft) {
  bool valid = true;
  bool redacted = false;
  const std::string secret = PickSecret(&valid, &redacted);
  const bool good_type = rng_.Percent(95);
  const bool good_header = rng_.Percent(90);
  draft->valid = draft->valid && valid && good_type && good_header;
  draft->signature = true;
  draft->signature_redacted = redacted;
  return JsonObject()
      .Add("type", Quote(good_type ? "HMAC_SHA256" : "SIGNATURE_TYPE_UNSPECIFIED"))
      .Add("header", Quote(good_header ? "X-Webhook-Signature" : "Bad Header"))
      .Add("algorithm", Quote("SHA256"))
      .Add("secret", Quote(secret))
      .Build();
}

std::string Generator::PickStorage(Draft* draft) {
  draft->storage = true;
  const bool good_arn = rng_.Percent(90);
  draft->valid = draft->valid && good_arn;
  JsonObject s3;
  s3.Add("bucket_name", Quote("reports"))
      .Add("region", Quote("us-west-2"))
      .Add("role_arn", Quote(good_arn ? "arn:aws:iam::123456789012:role/Hooks" : "nope"));
  // This server issues each org's external ID; any other is refused (left out, it is filled in).
  if (rng_.Percent(10)) {
    s3.Add("external_id", Quote("ts-webhook-1"));
    draft->valid = false;
  }
  if (rng_.Percent(50)) s3.Add("path_prefix", Quote("webhook-deliveries/"));
  return JsonObject()
      .Add("storage_type", Quote("AWS_S3"))
      .Add("storage_config", JsonObject().Add("aws_s3_config", s3.Build()).Build())
      .Build();
}

std::string Generator::PickStatus(Draft* draft) {
  const int pick = rng_.Below(10);
  if (pick == 0) {
    draft->valid = false;
    draft->status = "WEBHOOK_STATUS_UNSPECIFIED";
  } else {
    draft->status = pick < 6 ? "ENABLED" : "DISABLED";
  }
  return Quote(*draft->status);
}

void Generator::MaybeBreakSyntax(std::string* body, Draft* draft) {
  const bool draw = rng_.Percent(4);
  const size_t secret_end = body->find(absl::StrCat(kMarkerTail, "\""));
  if (!draw || secret_end == std::string::npos) return;
  body->insert(secret_end + kMarkerTail.size() + 1, " x");
  draft->parses = false;
}

std::string Generator::PickIdentifier(const Caller& caller) {
  const Hook* own = model_.HookOfOrg(caller.org_id);
  std::vector<const Hook*> all;
  for (const auto& [id, hook] : model_.hooks()) all.push_back(&hook);
  switch (rng_.Below(10)) {
    case 0:
    case 1:
      if (own != nullptr) return own->id;
      [[fallthrough]];
    case 2:
    case 3:
      if (!all.empty()) return rng_.Of(all)->id;
      [[fallthrough]];
    case 4:
      if (own != nullptr) return own->name;
      [[fallthrough]];
    case 5:
      if (!all.empty()) return rng_.Of(all)->name;
      [[fallthrough]];
    case 6:
      if (!model_.ids_ever().empty()) return rng_.Of(model_.ids_ever());
      [[fallthrough]];
    case 7:
      if (!model_.names_ever().empty()) return rng_.Of(model_.names_ever());
      [[fallthrough]];
    case 8:
      return "no-such-webhook";
    default:
      return absl::StrFormat("00000000-0000-4000-8000-%012d", 1 + rng_.Below(100));
  }
}

std::string Generator::PickOrgIdentifier(const Caller& caller) {
  const int pick = rng_.Below(20);
  const Org* own = model_.FindOrg(caller.org_id);
  if (pick < 5 && own != nullptr) return pick < 3 ? own->id : own->name;
  if (pick < 16) {
    return rng_.Percent(60) ? rng_.Of(model_.orgs()).id : rng_.Of(model_.orgs()).name;
  }
  if (pick < 18) return "nowhere";
  if (pick < 19) return "";
  return "PRIMARY";  // Org names match exactly.
}

std::string Generator::PickChannels(std::vector<std::string>* normalized) {
  std::vector<std::string> channels;
  if (rng_.Percent(40)) channels.push_back("EMAIL");
  if (rng_.Percent(75)) channels.push_back("WEBHOOK");
  if (rng_.Percent(10)) channels.push_back("EMAIL");               // Repeats are dropped.
  std::set<std::string> unique(channels.begin(), channels.end());  // EMAIL < WEBHOOK.
  normalized->assign(unique.begin(), unique.end());
  std::vector<std::string> quoted;
  for (const std::string& channel : channels) quoted.push_back(Quote(channel));
  return Array(quoted);
}

}  // namespace rest_property
}  // namespace webhooks
