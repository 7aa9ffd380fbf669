// EngineLimits: the documented bounds on what a webhook may hold and on search pages.
#ifndef WEBHOOKS_ENGINE_LIMITS_H_
#define WEBHOOKS_ENGINE_LIMITS_H_

namespace webhooks {

struct EngineLimits {
  // Characters (bytes of UTF-8) of a webhook's name and description.
  int max_name_length = 256;
  int max_description_length = 2048;
  // Bytes of `url` and of OAuth2's `authorization_url`.
  int max_url_length = 2048;
  // Entries of `url_params` and of `additional_headers`.
  int max_url_params = 50;
  int max_additional_headers = 50;
  // Bytes of a url_params key or header name, and of any value or credential.
  int max_key_length = 256;
  int max_value_length = 4096;
  // Search pages: `record_size` when none is given, and the largest one served (a larger
  // request is served this many records and says so in `pagination.record_size`).
  int default_record_size = 50;
  int max_record_size = 1000;
  // Jobs of one channel-history search: the newest this many that match. ThoughtSpot's history
  // response has no pagination; older jobs are reached by narrowing the search with
  // `end_epoch_time_in_millis` (jobs created before the oldest one returned).
  int max_history_jobs = 1000;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_LIMITS_H_
