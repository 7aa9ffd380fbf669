// Property test of WebhookEngine (engine/webhook_engine.h) driven by libFuzzer: the input is a
// sequence of operations (create, update, search, delete, configure and search preferences,
// advance the clock) by five principals on one engine with a FakeClock and SequentialIds:
//   0 cluster administrator of the Primary org, may act across orgs;
//   1 ADMINISTRATION in orgA;   2 DEVELOPER in orgB;
//   3 no privilege in orgA;     4 CAN_MANAGE_WEBHOOKS with RBAC in orgB.
// Every secret the sequence configures is "s3cret-<n>", and nothing else contains "s3cret".
// After every operation these must hold:
//   - no response (as JSON) and no error message contains "s3cret";
//   - a principal that may not act across orgs never receives a webhook of another org;
//   - every org has at most one webhook (as the cluster administrator sees them);
//   - for each principal, total_count equals the number of webhooks found by paging
//     through all of them, and paging finds each webhook once.
// A violation aborts, so libFuzzer saves the input. At exit the number of operations run is
// printed ("engine_sequence_fuzzer: N operations in M sequences").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/org_directory.h"
#include "engine/principal.h"
#include "engine/webhook_engine.h"
#include "proto/webhook.pb.h"
#include "testing/fake_clock.h"
#include "testing/sequential_ids.h"

namespace webhooks {
namespace {

constexpr char kSecretMark[] = "s3cret";
constexpr int kMaxOperations = 64;

uint64_t operations_run = 0;
uint64_t sequences_run = 0;
// Operations that succeeded, by kind, to show how deep the sequences get.
uint64_t created = 0, updated = 0, deleted = 0, configured = 0;

void PrintStats() {
  std::fprintf(stderr,
               "engine_sequence_fuzzer: %llu operations in %llu sequences "
               "(succeeded: %llu creates, %llu updates, %llu deletions, %llu preference changes)\n",
               static_cast<unsigned long long>(operations_run),
               static_cast<unsigned long long>(sequences_run),
               static_cast<unsigned long long>(created), static_cast<unsigned long long>(updated),
               static_cast<unsigned long long>(deleted),
               static_cast<unsigned long long>(configured));
}

// Reads the input a byte at a time; zeros once it is used up.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  // One of `n` choices.
  int Pick(int n) { return Next() % n; }
  bool Bit() { return Next() & 1; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

v1::Org MakeOrg(const std::string& id, const std::string& name) {
  v1::Org org;
  org.set_id(id);
  org.set_name(name);
  return org;
}

const v1::Org& Primary() {
  static const v1::Org* org = new v1::Org(MakeOrg("0", "Primary"));
  return *org;
}
const v1::Org& OrgA() {
  static const v1::Org* org = new v1::Org(MakeOrg("100", "orgA"));
  return *org;
}
const v1::Org& OrgB() {
  static const v1::Org* org = new v1::Org(MakeOrg("200", "orgB"));
  return *org;
}

std::vector<Principal> MakePrincipals() {
  std::vector<Principal> all(5);
  const v1::Org orgs[] = {Primary(), OrgA(), OrgB(), OrgA(), OrgB()};
  for (int i = 0; i < 5; ++i) {
    all[i].user_id = absl::StrCat("user-", i);
    all[i].user_name = absl::StrCat("user", i, "@example.com");
    all[i].org = orgs[i];
  }
  all[0].privileges = {v1::ADMINISTRATION};
  all[0].can_act_across_orgs = true;
  all[1].privileges = {v1::ADMINISTRATION};
  all[2].privileges = {v1::DEVELOPER};
  all[4].privileges = {v1::CAN_MANAGE_WEBHOOKS, v1::APPLICATION_ADMINISTRATION};
  all[4].rbac_enabled = true;
  return all;
}

[[noreturn]] void Fail(const std::string& what, int step, const std::string& detail) {
  std::fprintf(stderr, "engine_sequence_fuzzer: step %d: %s\n%s\n", step, what.c_str(),
               detail.c_str());
  std::abort();
}

class Sequence {
 public:
  Sequence(const OrgDirectory* orgs, const uint8_t* data, size_t size)
      : bytes_(data, size), principals_(MakePrincipals()) {
    EngineOptions options;
    options.orgs = orgs;
    options.clock = &clock_;
    options.ids = &ids_;
    options.delivery.run_dispatcher = false;
    absl::StatusOr<std::unique_ptr<WebhookEngine>> engine = WebhookEngine::Create(options);
    if (!engine.ok()) Fail("Create failed", 0, engine.status().ToString());
    engine_ = std::move(*engine);
  }

  void Run() {
    for (step_ = 1; step_ <= kMaxOperations && !bytes_.empty(); ++step_) {
      const Principal& caller = principals_[bytes_.Pick(principals_.size())];
      switch (bytes_.Pick(8)) {
        case 0:
        case 1:
          Create(caller);
          break;
        case 2:
          Update(caller);
          break;
        case 3:
          Search(caller);
          break;
        case 4:
          Delete(caller);
          break;
        case 5:
          Configure(caller);
          break;
        case 6:
          SearchPreferences(caller);
          break;
        default:
          clock_.Advance(absl::Milliseconds(1 + bytes_.Next()));
          break;
      }
      ++operations_run;
      CheckInvariants();
    }
  }

 private:
  std::string NewSecret() { return absl::StrCat(kSecretMark, "-", ++secrets_); }

  std::string PickName() {
    static const char* const kNames[] = {
        "w", "W", "hook-a", "hook-b", "", "Hook-A", "00000000-0000-4000-8000-000000000001"};
    return kNames[bytes_.Pick(7)];
  }

  // An id or a name of a webhook, existing or not.
  std::string PickIdentifier() {
    if (bytes_.Bit()) {
      return absl::StrFormat("00000000-0000-4000-8000-%012d", 1 + bytes_.Pick(6));
    }
    return PickName();
  }

  std::string PickUrl() {
    static const char* const kUrls[] = {"https://example.com/hook",
                                        "http://example.org/a?b=c",
                                        "ftp://example.com/",
                                        "https://",
                                        "not a url",
                                        "https://user:pw@example.com/"};
    return kUrls[bytes_.Pick(6)];
  }

  v1::WebhookAuthentication PickAuthentication() {
    v1::WebhookAuthentication auth;
    // Sending "***" back keeps the stored secret.
    const std::string secret = bytes_.Pick(4) == 0 ? "***" : NewSecret();
    switch (bytes_.Pick(4)) {
      case 0:
        auth.mutable_api_key()->set_key(bytes_.Bit() ? "X-API-Key" : "Bad Header");
        auth.mutable_api_key()->set_value(secret);
        break;
      case 1:
        auth.mutable_basic_auth()->set_username("svc");
        auth.mutable_basic_auth()->set_password(secret);
        break;
      case 2:
        auth.set_bearer_token(secret);
        break;
      default:
        auth.mutable_oauth2()->set_authorization_url(PickUrl());
        auth.mutable_oauth2()->set_client_id("client");
        auth.mutable_oauth2()->set_client_secret(secret);
        break;
    }
    return auth;
  }

  v1::SignatureVerification PickSignature() {
    v1::SignatureVerification signature;
    signature.set_type(bytes_.Bit() ? v1::HMAC_SHA256 : v1::SIGNATURE_TYPE_UNSPECIFIED);
    signature.set_header("X-Signature");
    signature.set_algorithm(v1::SHA256);
    signature.set_secret(bytes_.Pick(4) == 0 ? "***" : NewSecret());
    return signature;
  }

  void Create(const Principal& caller) {
    v1::CreateWebhookRequest request;
    request.set_name(PickName());
    request.set_url(PickUrl());
    if (bytes_.Pick(4) != 0) request.add_events(v1::LIVEBOARD_SCHEDULE);
    if (bytes_.Bit()) *request.mutable_authentication() = PickAuthentication();
    if (bytes_.Bit()) *request.mutable_signature_verification() = PickSignature();
    if (bytes_.Bit()) (*request.mutable_url_params()->mutable_fields())["k"].set_string_value("v");
    if (bytes_.Bit()) {
      v1::KeyValue* header = request.add_additional_headers();
      header->set_key(bytes_.Bit() ? "X-Team" : "Host");
      header->set_value("analytics");
    }
    if (bytes_.Bit()) request.set_status(bytes_.Bit() ? v1::ENABLED : v1::DISABLED);
    absl::StatusOr<v1::Webhook> created = engine_->CreateWebhook(caller, request);
    CheckStatus(created.status());
    if (!created.ok()) return;
    ++webhooks::created;
    CheckWebhook(caller, *created, "CreateWebhook");
    if (created->org().id() != caller.org.id()) {
      Fail("created in another org than the caller's", step_, ToJson(*created));
    }
  }

  void Update(const Principal& caller) {
    v1::UpdateWebhookRequest request;
    request.set_webhook_identifier(PickIdentifier());
    if (bytes_.Bit()) request.set_name(PickName());
    if (bytes_.Bit()) request.set_url(PickUrl());
    if (bytes_.Bit()) *request.mutable_authentication() = PickAuthentication();
    if (bytes_.Bit()) *request.mutable_signature_verification() = PickSignature();
    if (bytes_.Bit()) request.mutable_url_params();  // {}: clears them.
    if (bytes_.Bit()) request.mutable_additional_headers();
    if (bytes_.Bit()) request.add_reset_options(static_cast<v1::ResetOption>(1 + bytes_.Pick(3)));
    if (bytes_.Bit()) request.set_status(bytes_.Bit() ? v1::ENABLED : v1::DISABLED);
    const absl::Status status = engine_->UpdateWebhook(caller, request);
    CheckStatus(status);
    if (status.ok()) ++updated;
  }

  void Search(const Principal& caller) {
    v1::SearchWebhooksRequest request;
    if (bytes_.Pick(3) == 0) {
      static const char* const kOrgs[] = {"0", "100", "orgB", "nowhere"};
      request.set_org_identifier(kOrgs[bytes_.Pick(4)]);
    }
    if (bytes_.Pick(3) == 0) request.set_webhook_identifier(PickIdentifier());
    if (bytes_.Bit()) request.set_record_offset(static_cast<int>(bytes_.Next()) - 2);
    if (bytes_.Bit()) request.set_record_size(static_cast<int>(bytes_.Next()) - 2);
    if (bytes_.Bit())
      request.mutable_sort_options()->set_field_name(static_cast<v1::SortField>(bytes_.Pick(4)));
    if (bytes_.Bit())
      request.mutable_sort_options()->set_order(static_cast<v1::SortOrder>(bytes_.Pick(3)));
    absl::StatusOr<v1::SearchWebhooksResponse> response = engine_->SearchWebhooks(caller, request);
    CheckStatus(response.status());
    if (!response.ok()) return;
    CheckNoSecret(ToJson(*response), "SearchWebhooks");
    for (const v1::Webhook& webhook : response->webhooks()) {
      CheckWebhook(caller, webhook, "SearchWebhooks");
    }
  }

  void Delete(const Principal& caller) {
    v1::DeleteWebhooksRequest request;
    const int count = bytes_.Pick(3);
    for (int i = 0; i < count; ++i) request.add_webhook_identifiers(PickIdentifier());
    absl::StatusOr<v1::DeleteWebhooksResponse> response = engine_->DeleteWebhooks(caller, request);
    CheckStatus(response.status());
    if (!response.ok()) return;
    CheckNoSecret(ToJson(*response), "DeleteWebhooks");
    deleted += response->deleted_count();
    for (const v1::Webhook& webhook : response->deleted_webhooks()) {
      CheckWebhook(caller, webhook, "DeleteWebhooks");
    }
    if (response->deleted_count() != response->deleted_webhooks_size() ||
        response->failed_count() != response->failed_webhooks_size()) {
      Fail("delete counts disagree with the lists", step_, ToJson(*response));
    }
  }

  v1::EventChannelConfig PickChannels() {
    v1::EventChannelConfig config;
    config.set_event_type(bytes_.Pick(8) == 0 ? v1::EVENT_TYPE_UNSPECIFIED
                                              : v1::LIVEBOARD_SCHEDULE);
    if (bytes_.Pick(3) != 0) config.add_channels(v1::WEBHOOK);
    if (bytes_.Bit()) config.add_channels(v1::EMAIL);
    return config;
  }

  void Configure(const Principal& caller) {
    v1::ConfigureChannelPreferencesRequest request;
    if (bytes_.Bit()) *request.add_cluster_preferences() = PickChannels();
    if (bytes_.Bit()) {
      static const char* const kOrgs[] = {"0", "orgA", "200", "nowhere"};
      v1::OrgChannelConfigInput* org = request.add_org_preferences();
      org->set_org_identifier(kOrgs[bytes_.Pick(4)]);
      if (bytes_.Bit()) {
        org->set_operation(v1::RESET);
        org->add_reset_events(v1::LIVEBOARD_SCHEDULE);
      } else {
        *org->add_preferences() = PickChannels();
      }
    }
    const absl::Status status = engine_->ConfigureChannelPreferences(caller, request);
    CheckStatus(status);
    if (status.ok()) ++configured;
  }

  void SearchPreferences(const Principal& caller) {
    absl::StatusOr<v1::SearchChannelPreferencesResponse> response =
        engine_->SearchChannelPreferences(caller, v1::SearchChannelPreferencesRequest());
    CheckStatus(response.status());
    if (!response.ok()) return;
    CheckNoSecret(ToJson(*response), "SearchChannelPreferences");
    for (const v1::OrgChannelConfig& org : response->org_preferences()) {
      if (!caller.can_act_across_orgs && org.org().id() != caller.org.id()) {
        Fail("preferences of another org returned", step_, ToJson(*response));
      }
    }
  }

  void CheckStatus(const absl::Status& status) {
    if (status.ok()) return;
    CheckNoSecret(std::string(status.message()), status.ToString());
    if (status.code() == absl::StatusCode::kInternal ||
        status.code() == absl::StatusCode::kUnknown) {
      Fail("unexpected status", step_, status.ToString());
    }
  }

  void CheckNoSecret(const std::string& text, const std::string& where) {
    if (text.find(kSecretMark) != std::string::npos) {
      Fail(absl::StrCat("a secret leaked through ", where), step_, text);
    }
  }

  void CheckWebhook(const Principal& caller, const v1::Webhook& webhook, const char* where) {
    CheckNoSecret(ToJson(webhook), where);
    if (!caller.can_act_across_orgs && webhook.org().id() != caller.org.id()) {
      Fail(absl::StrCat(where, " returned another org's webhook to ", caller.user_id), step_,
           ToJson(webhook));
    }
  }

  // Pages through everything `caller` may see; checks the count and that no webhook repeats.
  void PageThrough(const Principal& caller, int page_size, v1::SortField field,
                   std::vector<v1::Webhook>* all) {
    absl::flat_hash_set<std::string> seen;
    int total = -1;
    for (int offset = 0;; offset += page_size) {
      v1::SearchWebhooksRequest request;
      request.set_record_offset(offset);
      request.set_record_size(page_size);
      request.mutable_sort_options()->set_field_name(field);
      absl::StatusOr<v1::SearchWebhooksResponse> page = engine_->SearchWebhooks(caller, request);
      if (!page.ok()) {
        // Principals without the privilege are refused every time; nothing to page.
        if (page.status().code() == absl::StatusCode::kPermissionDenied) return;
        Fail("paging failed", step_, page.status().ToString());
      }
      if (total < 0) total = page->pagination().total_count();
      if (page->pagination().total_count() != total) {
        Fail("total_count changed while paging", step_, ToJson(*page));
      }
      CheckNoSecret(ToJson(*page), "SearchWebhooks paging");
      for (const v1::Webhook& webhook : page->webhooks()) {
        CheckWebhook(caller, webhook, "SearchWebhooks paging");
        if (!seen.insert(webhook.id()).second) {
          Fail("paging returned a webhook twice", step_, ToJson(*page));
        }
        all->push_back(webhook);
      }
      if (!page->pagination().has_more()) break;
      if (page->webhooks().empty()) Fail("has_more with an empty page", step_, ToJson(*page));
    }
    if (static_cast<int>(all->size()) != total) {
      Fail(absl::StrCat("total_count ", total, " but paging found ", all->size(), " for ",
                        caller.user_id),
           step_, "");
    }
  }

  void CheckInvariants() {
    const int page_size = 1 + step_ % 3;
    const v1::SortField field = static_cast<v1::SortField>(1 + step_ % 3);
    for (const Principal& principal : principals_) {
      std::vector<v1::Webhook> all;
      PageThrough(principal, page_size, field, &all);
      if (!principal.can_act_across_orgs) continue;
      absl::flat_hash_map<std::string, int> per_org;
      for (const v1::Webhook& webhook : all) {
        if (++per_org[webhook.org().id()] > 1) {
          Fail(absl::StrCat("org ", webhook.org().id(), " has two webhooks"), step_, "");
        }
      }
    }
  }

  Bytes bytes_;
  std::vector<Principal> principals_;
  testing::FakeClock clock_;
  testing::SequentialIds ids_;
  std::unique_ptr<WebhookEngine> engine_;
  int step_ = 0;
  int secrets_ = 0;
};

}  // namespace
}  // namespace webhooks

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const webhooks::StaticOrgDirectory* orgs = [] {
    std::atexit(webhooks::PrintStats);
    absl::StatusOr<webhooks::StaticOrgDirectory> created = webhooks::StaticOrgDirectory::Create(
        {webhooks::Primary(), webhooks::OrgA(), webhooks::OrgB()});
    if (!created.ok()) std::abort();
    return new webhooks::StaticOrgDirectory(std::move(*created));
  }();
  ++webhooks::sequences_run;
  webhooks::Sequence sequence(orgs, data, size);
  sequence.Run();
  return 0;
}
