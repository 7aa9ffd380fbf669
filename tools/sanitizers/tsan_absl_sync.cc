// ThreadSanitizer annotations for Debian's Abseil synchronization (--config=tsan only).
//
// Debian's libabsl_synchronization is not built with -fsanitize=thread, so TSan cannot see
// that absl::Mutex::Unlock() in one thread happens before absl::Mutex::Lock() in another:
// every field guarded by an absl::Mutex would be reported as a data race. The BUILD target
// links this file with `-Wl,--wrap=<symbol>` for each entry point below, so this project's
// calls go through a wrapper that tells TSan what the real function does
// (__tsan_mutex_pre_lock / post_lock and friends, the annotations Abseil itself emits when it
// is built with TSan), then calls the real function (__real_<symbol>).
//
// Calls made from inside the uninstrumented libraries (for example absl::Notification's own
// use of its Mutex) are not wrapped; they are annotated at the Notification level instead.
// Conditions (absl::Condition) evaluated inside Await/LockWhen run while TSan ignores
// accesses, as with an instrumented Abseil.
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// The Mutex is released around `wait` and held again after it, as inside Await or Wait.
template <typename F>
auto ReleasedDuring(Mutex* mu, unsigned flags, F wait) {
  __tsan_mutex_pre_unlock(mu, flags);
  auto result = wait();
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

template <typename F>
auto Locking(Mutex* mu, unsigned flags, F lock) {
  __tsan_mutex_pre_lock(mu, flags);
  auto result = lock();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

}  // namespace

#define WRAP(ret, symbol, params, args)  \
  extern "C" ret __real_##symbol params; \
  extern "C" ret __wrap_##symbol params

// Mutex
WRAP(void, _ZN4absl7debian35Mutex4LockEv, (Mutex * mu), (mu)) {
  Locking(mu, 0, [&] {
    __real__ZN4absl7debian35Mutex4LockEv(mu);
    return 0;
  });
}
WRAP(void, _ZN4absl7debian35Mutex10ReaderLockEv, (Mutex * mu), (mu)) {
  Locking(mu, __tsan_mutex_read_lock, [&] {
    __real__ZN4absl7debian35Mutex10ReaderLockEv(mu);
    return 0;
  });
}
WRAP(void, _ZN4absl7debian35Mutex6UnlockEv, (Mutex * mu), (mu)) {
  __tsan_mutex_pre_unlock(mu, 0);
  __real__ZN4absl7debian35Mutex6UnlockEv(mu);
  __tsan_mutex_post_unlock(mu, 0);
}
WRAP(void, _ZN4absl7debian35Mutex12ReaderUnlockEv, (Mutex * mu), (mu)) {
  __tsan_mutex_pre_unlock(mu, __tsan_mutex_read_lock);
  __real__ZN4absl7debian35Mutex12ReaderUnlockEv(mu);
  __tsan_mutex_post_unlock(mu, __tsan_mutex_read_lock);
}
WRAP(bool, _ZN4absl7debian35Mutex7TryLockEv, (Mutex * mu), (mu)) {
  __tsan_mutex_pre_lock(mu, __tsan_mutex_try_lock);
  const bool locked = __real__ZN4absl7debian35Mutex7TryLockEv(mu);
  __tsan_mutex_post_lock(mu, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
                         0);
  return locked;
}
WRAP(bool, _ZN4absl7debian35Mutex13ReaderTryLockEv, (Mutex * mu), (mu)) {
  const unsigned flags = __tsan_mutex_try_lock | __tsan_mutex_read_lock;
  __tsan_mutex_pre_lock(mu, flags);
  const bool locked = __real__ZN4absl7debian35Mutex13ReaderTryLockEv(mu);
  __tsan_mutex_post_lock(mu, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}
WRAP(void, _ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE, (Mutex * mu, const Condition& c),
     (mu, c)) {
  Locking(mu, 0, [&] {
    __real__ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(mu, c);
    return 0;
  });
}
WRAP(void, _ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE,
     (Mutex * mu, const Condition& c), (mu, c)) {
  Locking(mu, __tsan_mutex_read_lock, [&] {
    __real__ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE(mu, c);
    return 0;
  });
}
// The *WithTimeout/*WithDeadline forms hold the lock on return whatever they return.
WRAP(bool, _ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE,
     (Mutex * mu, const Condition& c, Duration d), (mu, c, d)) {
  return Locking(mu, 0, [&] {
    return __real__ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(mu, c,
                                                                                              d);
  });
}
WRAP(bool, _ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE,
     (Mutex * mu, const Condition& c, Time t), (mu, c, t)) {
  return Locking(mu, 0, [&] {
    return __real__ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(mu, c,
                                                                                           t);
  });
}
WRAP(void, _ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE, (Mutex * mu, const Condition& c),
     (mu, c)) {
  ReleasedDuring(mu, 0, [&] {
    __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(mu, c);
    return 0;
  });
}
WRAP(bool, _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE,
     (Mutex * mu, const Condition& c, Duration d), (mu, c, d)) {
  return ReleasedDuring(mu, 0, [&] {
    return __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(mu, c,
                                                                                           d);
  });
}
WRAP(bool, _ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE,
     (Mutex * mu, const Condition& c, Time t), (mu, c, t)) {
  return ReleasedDuring(mu, 0, [&] {
    return __real__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(mu, c, t);
  });
}
WRAP(void, _ZN4absl7debian35MutexD1Ev, (Mutex * mu), (mu)) {
  __tsan_mutex_destroy(mu, 0);
  __real__ZN4absl7debian35MutexD1Ev(mu);
}

// CondVar: Wait releases the Mutex and holds it again before returning.
WRAP(void, _ZN4absl7debian37CondVar4WaitEPNS0_5MutexE, (CondVar * cv, Mutex* mu), (cv, mu)) {
  ReleasedDuring(mu, 0, [&] {
    __real__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(cv, mu);
    return 0;
  });
}
WRAP(bool, _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE,
     (CondVar * cv, Mutex* mu, Duration d), (cv, mu, d)) {
  return ReleasedDuring(mu, 0, [&] {
    return __real__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(cv, mu, d);
  });
}
WRAP(bool, _ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE,
     (CondVar * cv, Mutex* mu, Time t), (cv, mu, t)) {
  return ReleasedDuring(mu, 0, [&] {
    return __real__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(cv, mu, t);
  });
}

// Notification: Notify happens before every wait that returns notified.
WRAP(void, _ZN4absl7debian312Notification6NotifyEv, (Notification * n), (n)) {
  __tsan_release(n);
  __real__ZN4absl7debian312Notification6NotifyEv(n);
}
WRAP(void, _ZNK4absl7debian312Notification19WaitForNotificationEv, (const Notification* n), (n)) {
  __real__ZNK4absl7debian312Notification19WaitForNotificationEv(n);
  __tsan_acquire(const_cast<Notification*>(n));
}
WRAP(bool, _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE,
     (const Notification* n, Duration d), (n, d)) {
  const bool notified =
      __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(n, d);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}
WRAP(bool, _ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE,
     (const Notification* n, Time t), (n, t)) {
  const bool notified =
      __real__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(n, t);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}
