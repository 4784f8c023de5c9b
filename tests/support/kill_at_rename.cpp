// A crash injector for the kill-and-resume tests, loaded into the `tint` binary under test with LD_PRELOAD; the
// product itself carries no test hook (tests/cli/test_cli_product_has_no_test_hooks checks the binary).
//
// TINT_TEST_KILL_AT_RENAME=NAME:before|after:N makes the process SIGKILL itself (no handler, no cleanup: a power
// cut or the OOM killer) at its N-th rename() onto a file named NAME, just before or just after the rename that
// publishes it. Those are the moments where a crash could leave a torn or mismatched run directory; timing a
// signal from outside would hit them only by luck. Every atomic write in tint ends in rename() (core/atomic_file).
#include <dlfcn.h>
#include <signal.h>

#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int (*real_rename)(const char*, const char*) = nullptr;

// Whether `path` names a file called `name` (its last component).
bool names(const char* path, const char* name, size_t name_length) {
  const char* slash = strrchr(path, '/');
  const char* base = slash != nullptr ? slash + 1 : path;
  return strlen(base) == name_length && memcmp(base, name, name_length) == 0;
}

void maybe_die(const char* to, const char* moment) {
  static long seen = 0;
  const char* spec = getenv("TINT_TEST_KILL_AT_RENAME");
  if (spec == nullptr || *spec == '\0') return;
  const char* a = strchr(spec, ':');
  const char* b = strrchr(spec, ':');
  if (a == nullptr || a == b) {
    const std::string message =
        std::string("kill_at_rename: TINT_TEST_KILL_AT_RENAME='") + spec + "': expected NAME:before|after:N\n";
    (void)!::write(2, message.data(), message.size());
    ::_exit(97);
  }
  const size_t moment_length = static_cast<size_t>(b - a - 1);
  if (!names(to, spec, static_cast<size_t>(a - spec))) return;
  if (strlen(moment) != moment_length || memcmp(a + 1, moment, moment_length) != 0) return;
  if (++seen == strtol(b + 1, nullptr, 10)) ::kill(::getpid(), SIGKILL);
}

}  // namespace

// glibc declares rename() noexcept in C++; this definition takes its place in the process.
extern "C" int rename(const char* from, const char* to) noexcept {
  if (real_rename == nullptr) {
    real_rename = reinterpret_cast<int (*)(const char*, const char*)>(::dlsym(RTLD_NEXT, "rename"));
  }
  // "before" counts every rename onto NAME, "after" only those that succeeded, as the old in-binary hook did.
  maybe_die(to, "before");
  const int result = real_rename(from, to);
  if (result == 0) maybe_die(to, "after");
  return result;
}
