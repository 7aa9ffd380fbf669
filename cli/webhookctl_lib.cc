#include "cli/webhookctl_lib.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/human_output.h"
#include "engine/base/json_codec.h"
#include "grpcpp/grpcpp.h"
#include "proto/delivery_repair_service.grpc.pb.h"
#include "proto/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "",
          "webhookd's gRPC address (default: $WEBHOOKD_TARGET, else 127.0.0.1:50051)");
ABSL_FLAG(bool, tls, false, "connect with TLS (webhookd started with --tls_cert)");
ABSL_FLAG(std::string, ca_file, "", "PEM root certificates for --tls (default: the system's)");
ABSL_FLAG(bool, json, false, "print the response as JSON (the REST API's JSON)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "deadline of the call");
ABSL_FLAG(std::string, request, "", "the request message as JSON, or @FILE to read it from FILE");
ABSL_FLAG(std::string, name, "", "create, update: the webhook's name");
ABSL_FLAG(std::string, url, "", "create, update: the webhook's URL");
ABSL_FLAG(std::string, description, "", "create, update: the webhook's description");
ABSL_FLAG(std::vector<std::string>, event, {},
          "create, update, search: event types, comma-separated or repeated "
          "(create: default LIVEBOARD_SCHEDULE)");
ABSL_FLAG(std::string, webhook, "", "search: a webhook's id or name");
ABSL_FLAG(std::string, org, "", "search, publish, preferences search: an org's id or name");

namespace webhooks {
namespace cli {
namespace {

// The flags a command line may set; any other is a usage error.
constexpr absl::string_view kFlagNames[] = {"target",      "tls",     "ca_file", "json",
                                            "timeout",     "request", "name",    "url",
                                            "description", "event",   "webhook", "org"};

constexpr absl::string_view kDefaultTarget = "127.0.0.1:50051";

// A usage error: its message goes to stderr and the exit code is kExitUsage.
absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

// The parsed command line: positional arguments, the flags given, and --event accumulated.
struct CommandLine {
  std::vector<std::string> positional;
  std::set<std::string> given;
  std::vector<std::string> events;

  bool Has(absl::string_view flag) const { return given.count(std::string(flag)) > 0; }
};

// Sets every flag of kFlagNames back to its default, so one run's flags never leak into the
// next (absl::FlagSaver would do it too, but logs each restored value to stderr).
void ResetFlags() {
  for (absl::string_view name : kFlagNames) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    flag->ParseFrom(flag->DefaultValue(), &error);
  }
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine line;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      line.positional.insert(line.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      line.positional.push_back(std::string(arg));
      continue;
    }
    if (arg.empty()) return UsageError("empty flag name");
    const size_t equals = arg.find('=');
    std::string name(arg.substr(0, equals));
    std::string value;
    const bool has_value = equals != absl::string_view::npos;
    if (has_value) value = std::string(arg.substr(equals + 1));
    const auto known = [](absl::string_view flag) {
      return std::find(std::begin(kFlagNames), std::end(kFlagNames), flag) != std::end(kFlagNames);
    };
    if (!known(name) && absl::StartsWith(name, "no") && !has_value &&
        known(absl::string_view(name).substr(2)) &&
        absl::FindCommandLineFlag(name.substr(2))->IsOfType<bool>()) {
      name = name.substr(2);
      value = "false";
    } else if (!known(name)) {
      return UsageError(absl::StrCat("unknown flag --", name));
    } else if (!has_value) {
      if (absl::FindCommandLineFlag(name)->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return UsageError(absl::StrCat("--", name, " needs a value"));
      }
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return UsageError(absl::StrCat("bad value for --", name, ": ", error));
    }
    if (name == "event") {
      for (const std::string& event : absl::GetFlag(FLAGS_event)) line.events.push_back(event);
    }
    line.given.insert(name);
  }
  return line;
}

absl::StatusOr<std::string> ReadFile(absl::string_view what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Fills `request` from --request (JSON, or @FILE); leaves it empty without the flag.
absl::Status LoadRequest(google::protobuf::Message* request) {
  std::string json = absl::GetFlag(FLAGS_request);
  if (json.empty()) return absl::OkStatus();
  if (json[0] == '@') {
    absl::StatusOr<std::string> contents = ReadFile("--request file", json.substr(1));
    if (!contents.ok()) return contents.status();
    json = *std::move(contents);
  }
  absl::Status parsed = FromJson(json, request);
  if (!parsed.ok()) return UsageError(absl::StrCat("bad --request: ", parsed.message()));
  return absl::OkStatus();
}

absl::Status ParseEvents(const std::vector<std::string>& names,
                         google::protobuf::RepeatedField<int>* events) {
  for (const std::string& name : names) {
    v1::EventType event;
    if (!v1::EventType_Parse(name, &event) || event == v1::EVENT_TYPE_UNSPECIFIED) {
      return UsageError(
          absl::StrCat("--event: unknown event type \"", name, "\" (known: LIVEBOARD_SCHEDULE)"));
    }
    events->Add(event);
  }
  return absl::OkStatus();
}

// ---- Calls ----

// What one command run needs: the stubs, the token, and where to print.
struct Session {
  std::unique_ptr<v1::WebhookService::Stub> webhooks;
  std::unique_ptr<v1::DeliveryRepairService::Stub> repair;
  std::string token;
  std::ostream& out;
  std::ostream& err;
};

// Calls `rpc` of `stub` with `request` and prints the response (JSON with --json, else `human`).
template <typename Stub, typename Request, typename Response, typename Human>
int Call(Session& session, absl::string_view rpc_name, Stub& stub,
         grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
         const Request& request, Human human) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  if (!session.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", session.token));
  }
  Response response;
  const grpc::Status status = (stub.*rpc)(&context, request, &response);
  if (!status.ok()) {
    std::string message = status.error_message();
    if (!session.token.empty()) absl::StrReplaceAll({{session.token, "***"}}, &message);
    session.err << "webhookctl: " << rpc_name << " failed: "
                << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))
                << ": " << message << "\n";
    return kExitCallFailed;
  }
  if (absl::GetFlag(FLAGS_json)) {
    session.out << ToJson(response) << "\n";
  } else {
    human(response, session.out);
  }
  return kExitOk;
}

template <typename Response>
auto Summary() {
  return [](const Response& response, std::ostream& out) { PrintHuman(response, out); };
}

auto Message(std::string text) {
  return [text = std::move(text)](const google::protobuf::Empty&, std::ostream& out) {
    out << text << "\n";
  };
}

using Stub = v1::WebhookService::Stub;
using RepairStub = v1::DeliveryRepairService::Stub;

// Each command: checks its arguments and flags, builds the request, calls. Returns a usage
// error status, or the exit code of the call.
absl::StatusOr<int> Create(const CommandLine& line, Session& session) {
  if (line.positional.size() != 1) return UsageError("create takes no arguments");
  v1::CreateWebhookRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.Has("name")) request.set_name(absl::GetFlag(FLAGS_name));
  if (line.Has("url")) request.set_url(absl::GetFlag(FLAGS_url));
  if (line.Has("description")) request.set_description(absl::GetFlag(FLAGS_description));
  if (line.Has("event")) request.clear_events();
  if (absl::Status parsed = ParseEvents(line.events, request.mutable_events()); !parsed.ok()) {
    return parsed;
  }
  if (request.events().empty()) request.add_events(v1::LIVEBOARD_SCHEDULE);
  return Call(session, "CreateWebhook", *session.webhooks, &Stub::CreateWebhook, request,
              Summary<v1::Webhook>());
}

absl::StatusOr<int> Search(const CommandLine& line, Session& session) {
  if (line.positional.size() != 1) return UsageError("search takes no arguments");
  v1::SearchWebhooksRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.Has("webhook")) request.set_webhook_identifier(absl::GetFlag(FLAGS_webhook));
  if (line.Has("org")) request.set_org_identifier(absl::GetFlag(FLAGS_org));
  if (line.events.size() > 1) return UsageError("search takes one --event");
  google::protobuf::RepeatedField<int> events;
  if (absl::Status parsed = ParseEvents(line.events, &events); !parsed.ok()) return parsed;
  if (!events.empty()) request.set_event_type(static_cast<v1::EventType>(events[0]));
  return Call(session, "SearchWebhooks", *session.webhooks, &Stub::SearchWebhooks, request,
              Summary<v1::SearchWebhooksResponse>());
}

absl::StatusOr<int> Update(const CommandLine& line, Session& session) {
  v1::UpdateWebhookRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.positional.size() == 2) request.set_webhook_identifier(line.positional[1]);
  if (line.positional.size() > 2 || request.webhook_identifier().empty()) {
    return UsageError("update takes one webhook id or name");
  }
  if (line.Has("name")) request.set_name(absl::GetFlag(FLAGS_name));
  if (line.Has("url")) request.set_url(absl::GetFlag(FLAGS_url));
  if (line.Has("description")) request.set_description(absl::GetFlag(FLAGS_description));
  if (line.Has("event")) request.clear_events();
  if (absl::Status parsed = ParseEvents(line.events, request.mutable_events()); !parsed.ok()) {
    return parsed;
  }
  return Call(session, "UpdateWebhook", *session.webhooks, &Stub::UpdateWebhook, request,
              Message(absl::StrCat("updated webhook ", request.webhook_identifier())));
}

absl::StatusOr<int> Delete(const CommandLine& line, Session& session) {
  v1::DeleteWebhooksRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  for (size_t i = 1; i < line.positional.size(); ++i) {
    request.add_webhook_identifiers(line.positional[i]);
  }
  if (request.webhook_identifiers().empty()) {
    return UsageError("delete takes one or more webhook ids or names");
  }
  return Call(session, "DeleteWebhooks", *session.webhooks, &Stub::DeleteWebhooks, request,
              Summary<v1::DeleteWebhooksResponse>());
}

absl::StatusOr<int> History(const CommandLine& line, Session& session) {
  v1::SearchChannelHistoryRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.positional.size() > 2) return UsageError("history takes at most one webhook id or name");
  if (line.positional.size() == 2) {
    request.clear_channel_identifiers();
    request.add_channel_identifiers(line.positional[1]);
  }
  if (request.channel_type() == v1::CHANNEL_UNSPECIFIED) request.set_channel_type(v1::WEBHOOK);
  if (request.job_ids().empty() && request.events().empty()) {
    request.add_events()->set_type(v1::LIVEBOARD_SCHEDULE);
  }
  return Call(session, "SearchChannelHistory", *session.webhooks, &Stub::SearchChannelHistory,
              request, Summary<v1::SearchChannelHistoryResponse>());
}

absl::StatusOr<int> Validate(const CommandLine& line, Session& session) {
  v1::ValidateCommunicationChannelRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.positional.size() == 2) request.set_channel_identifier(line.positional[1]);
  if (line.positional.size() > 2 || request.channel_identifier().empty()) {
    return UsageError("validate takes one webhook id or name");
  }
  if (request.channel_type() == v1::CHANNEL_UNSPECIFIED) request.set_channel_type(v1::WEBHOOK);
  if (request.event_type() == v1::EVENT_TYPE_UNSPECIFIED) {
    request.set_event_type(v1::LIVEBOARD_SCHEDULE);
  }
  return Call(session, "ValidateCommunicationChannel", *session.webhooks,
              &Stub::ValidateCommunicationChannel, request,
              Summary<v1::ValidateCommunicationChannelResponse>());
}

absl::StatusOr<int> Publish(const CommandLine& line, Session& session) {
  if (line.positional.size() != 1) return UsageError("publish takes no arguments");
  v1::PublishEventRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.Has("org")) request.set_org_identifier(absl::GetFlag(FLAGS_org));
  return Call(session, "PublishEvent", *session.webhooks, &Stub::PublishEvent, request,
              Summary<v1::PublishEventResponse>());
}

absl::StatusOr<int> Preferences(const CommandLine& line, Session& session) {
  const std::string sub = line.positional.size() == 2 ? line.positional[1] : "";
  if (sub == "search") {
    v1::SearchChannelPreferencesRequest request;
    if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
    if (line.Has("org"))
      request.add_org_preferences()->set_org_identifier(absl::GetFlag(FLAGS_org));
    return Call(session, "SearchChannelPreferences", *session.webhooks,
                &Stub::SearchChannelPreferences, request,
                Summary<v1::SearchChannelPreferencesResponse>());
  }
  if (sub == "configure") {
    v1::ConfigureChannelPreferencesRequest request;
    if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
    if (!line.Has("request")) return UsageError("preferences configure needs --request");
    return Call(session, "ConfigureChannelPreferences", *session.webhooks,
                &Stub::ConfigureChannelPreferences, request,
                Message("configured channel preferences"));
  }
  return UsageError("preferences takes \"search\" or \"configure\"");
}

absl::StatusOr<int> StorageConfig(const CommandLine& line, Session& session) {
  if (line.positional.size() != 1) return UsageError("storage-config takes no arguments");
  v1::GetStorageConfigRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  return Call(session, "GetWebhookStorageConfig", *session.webhooks, &Stub::GetWebhookStorageConfig,
              request, Summary<v1::GetStorageConfigResponse>());
}

absl::StatusOr<int> Redeliver(const CommandLine& line, Session& session) {
  v1::RedeliverJobRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.positional.size() == 2) request.set_job_id(line.positional[1]);
  if (line.positional.size() > 2 || request.job_id().empty()) {
    return UsageError("redeliver takes one job id");
  }
  return Call(session, "RedeliverJob", *session.repair, &RepairStub::RedeliverJob, request,
              Summary<v1::ChannelHistoryJob>());
}

absl::StatusOr<int> Replay(const CommandLine& line, Session& session) {
  v1::ReplayFailedJobsRequest request;
  if (absl::Status loaded = LoadRequest(&request); !loaded.ok()) return loaded;
  if (line.positional.size() == 2) request.set_webhook_identifier(line.positional[1]);
  if (line.positional.size() > 2 || request.webhook_identifier().empty()) {
    return UsageError("replay takes one webhook id or name");
  }
  return Call(session, "ReplayFailedJobs", *session.repair, &RepairStub::ReplayFailedJobs, request,
              Summary<v1::ReplayFailedJobsResponse>());
}

struct Command {
  absl::string_view name;
  absl::StatusOr<int> (*run)(const CommandLine&, Session&);
  // The flags of this command beyond the common ones (space-separated).
  absl::string_view flags;
};

// The flags every command takes.
constexpr absl::string_view kCommonFlags = "target tls ca_file json timeout request";

constexpr Command kCommands[] = {
    {"create", Create, "name url description event"},
    {"search", Search, "webhook org event"},
    {"update", Update, "name url description event"},
    {"delete", Delete, ""},
    {"history", History, ""},
    {"validate", Validate, ""},
    {"publish", Publish, "org"},
    {"preferences", Preferences, "org"},
    {"storage-config", StorageConfig, ""},
    {"redeliver", Redeliver, ""},
    {"replay", Replay, ""},
};

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

// kInvalidArgument naming the first flag of `line` that `command` does not take.
absl::Status CheckFlags(const Command& command, const CommandLine& line) {
  const std::vector<absl::string_view> common = absl::StrSplit(kCommonFlags, ' ');
  const std::vector<absl::string_view> own = absl::StrSplit(command.flags, ' ');
  for (const std::string& flag : line.given) {
    if (std::find(common.begin(), common.end(), flag) == common.end() &&
        std::find(own.begin(), own.end(), flag) == own.end()) {
      return UsageError(absl::StrCat(command.name, " does not take --", flag));
    }
  }
  return absl::OkStatus();
}

std::string EnvOr(const std::map<std::string, std::string>& env, const std::string& name,
                  absl::string_view fallback) {
  const auto found = env.find(name);
  if (found == env.end() || found->second.empty()) return std::string(fallback);
  return found->second;
}

}  // namespace

std::string Usage() {
  return R"(usage: webhookctl COMMAND [ARGS] [--flags]

Commands (gRPC webhooks.v1.WebhookService):
  create                 CreateWebhook: --name, --url, --event (default LIVEBOARD_SCHEDULE), --description
  search                 SearchWebhooks: --webhook=ID_OR_NAME, --org=ID_OR_NAME, --event
  update ID_OR_NAME      UpdateWebhook: the fields given by --name, --url, --description, --event
  delete ID_OR_NAME...   DeleteWebhooks
  history [ID_OR_NAME]   SearchChannelHistory: a webhook's deliveries (LIVEBOARD_SCHEDULE);
                         without one, --request must name job_ids
  validate ID_OR_NAME    ValidateCommunicationChannel (WEBHOOK, LIVEBOARD_SCHEDULE)
  publish                PublishEvent: --org; the run and files with --request
  preferences search     SearchChannelPreferences: --org
  preferences configure  ConfigureChannelPreferences: --request
  storage-config         GetWebhookStorageConfig

Commands (gRPC webhooks.v1.DeliveryRepairService, webhookd's extension):
  redeliver JOB_ID       RedeliverJob: one more attempt of a FAILED delivery
  replay ID_OR_NAME      ReplayFailedJobs: every FAILED delivery of the webhook, or those created
                         in --request='{"start_epoch_time_in_millis":..,"end_epoch_time_in_millis":..}'

Flags:
  --request='{...}' | --request=@FILE   the request as JSON (the REST body); flags apply on top
  --target=HOST:PORT    default $WEBHOOKD_TARGET, else 127.0.0.1:50051
  --tls, --ca_file=PEM  TLS (webhookd --tls_cert); system roots unless --ca_file
  --json                print the response as JSON
  --timeout=DURATION    deadline of the call (default 30s)

The token is read from $WEBHOOKD_TOKEN and sent as "authorization: Bearer <token>".
A flag a command does not take is bad usage.
Exit codes: 0 success; 1 the call failed (gRPC code and message on stderr); 2 bad usage.
)";
}

ChannelFactory NetworkChannelFactory() {
  return [](const ConnectionOptions& options)
             -> absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>> {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (options.tls) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = options.ca_pem;
      credentials = grpc::SslCredentials(ssl);
    } else {
      credentials = grpc::InsecureChannelCredentials();
    }
    return grpc::CreateChannel(options.target, credentials);
  };
}

int RunWebhookctl(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, const ChannelFactory& channels,
                  std::ostream& out, std::ostream& err) {
  ResetFlags();
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h" || (i == 1 && args[i] == "help")) {
      out << Usage();
      return kExitOk;
    }
  }
  absl::StatusOr<CommandLine> line = ParseCommandLine(args);
  if (!line.ok()) {
    err << "webhookctl: " << line.status().message() << "\n" << Usage();
    return kExitUsage;
  }
  const Command* command = line->positional.empty() ? nullptr : FindCommand(line->positional[0]);
  if (command == nullptr) {
    if (line->positional.empty()) {
      err << "webhookctl: no command\n";
    } else {
      err << "webhookctl: unknown command \"" << line->positional[0] << "\"\n";
    }
    err << Usage();
    return kExitUsage;
  }
  if (absl::Status checked = CheckFlags(*command, *line); !checked.ok()) {
    err << "webhookctl: " << checked.message() << "\n";
    return kExitUsage;
  }
  ConnectionOptions connection;
  connection.target = absl::GetFlag(FLAGS_target);
  if (connection.target.empty()) connection.target = EnvOr(env, "WEBHOOKD_TARGET", kDefaultTarget);
  connection.tls = absl::GetFlag(FLAGS_tls);
  if (!absl::GetFlag(FLAGS_ca_file).empty()) {
    if (!connection.tls) {
      err << "webhookctl: --ca_file needs --tls\n";
      return kExitUsage;
    }
    absl::StatusOr<std::string> pem = ReadFile("--ca_file", absl::GetFlag(FLAGS_ca_file));
    if (!pem.ok()) {
      err << "webhookctl: " << pem.status().message() << "\n";
      return kExitUsage;
    }
    connection.ca_pem = *std::move(pem);
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>> channel = channels(connection);
  if (!channel.ok()) {
    err << "webhookctl: " << channel.status().message() << "\n";
    return kExitUsage;
  }
  Session session{v1::WebhookService::NewStub(*channel),
                  v1::DeliveryRepairService::NewStub(*channel), EnvOr(env, "WEBHOOKD_TOKEN", ""),
                  out, err};
  absl::StatusOr<int> code = command->run(*line, session);
  if (!code.ok()) {
    err << "webhookctl: " << code.status().message() << "\n";
    return kExitUsage;
  }
  return *code;
}

}  // namespace cli
}  // namespace webhooks
