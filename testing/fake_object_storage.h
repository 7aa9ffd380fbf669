// FakeObjectStorage: an ObjectStorage that records what it is asked to store and answers at
// once, from a responder the test sets (by default: every object stored).
//
//   webhooks::testing::FakeObjectStorage storage;
//   delivery_options.storage = &storage;
//   storage.SetResponder([](const v1::StorageDestination&, const std::vector<StorageObject>&)
//                            -> absl::StatusOr<std::vector<absl::Status>> {
//     return absl::PermissionDeniedError("AWS STS AssumeRole of ... failed: HTTP 403 ...");
//   });
//   ...
//   EXPECT_EQ(storage.puts()[0].objects[0].key, "...");
//
// Thread-safe; the callback runs on the caller's thread, outside the fake's lock.
#ifndef WEBHOOKS_TESTING_FAKE_OBJECT_STORAGE_H_
#define WEBHOOKS_TESTING_FAKE_OBJECT_STORAGE_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/cloud_storage/object_storage.h"

namespace webhooks {
namespace testing {

class FakeObjectStorage final : public ObjectStorage {
 public:
  using Responder = std::function<absl::StatusOr<std::vector<absl::Status>>(
      const v1::StorageDestination&, const std::vector<StorageObject>&)>;

  struct PutCall {
    v1::StorageDestination destination;
    std::string org_external_id;
    std::vector<StorageObject> objects;
  };

  void SetResponder(Responder responder) {
    absl::MutexLock lock(&mu_);
    responder_ = std::move(responder);
  }

  void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
           std::vector<StorageObject> objects, Callback done) override {
    Responder responder;
    {
      absl::MutexLock lock(&mu_);
      responder = responder_;
      puts_.push_back({destination, std::string(org_external_id), objects});
    }
    done(responder ? responder(destination, objects)
                   : std::vector<absl::Status>(objects.size(), absl::OkStatus()));
  }

  std::vector<PutCall> puts() const {
    absl::MutexLock lock(&mu_);
    return puts_;
  }

 private:
  mutable absl::Mutex mu_;
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<PutCall> puts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAKE_OBJECT_STORAGE_H_
