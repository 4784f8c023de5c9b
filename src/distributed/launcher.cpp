#include "tint/distributed/launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <fmt/core.h>

#include "tint/core/error.h"
#include "tint/core/interrupt.h"

namespace tint::distributed {

namespace {
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Time the survivors get beyond the collectives' timeout to name the lost worker and exit by themselves.
constexpr auto kMargin = 15s;

// The workers' rendezvous store: an anonymous in-memory file (memfd), which FileStore reaches as /proc/self/fd/N in
// each worker. Nothing listens on the network and nothing has a name in the file system: no other process can open
// it (short of ptrace rights over a worker), and the kernel frees it when the last process holding it ends, however
// it ends (the launcher SIGKILLed, every worker with it), so nothing is ever left behind.
class StoreFile {
 public:
  StoreFile() : fd_(memfd_create("tint-store", MFD_CLOEXEC)) {
    if (fd_ < 0) throw Error(fmt::format("cannot create the workers' store (memfd_create): {}", std::strerror(errno)));
  }
  ~StoreFile() { close(fd_); }
  StoreFile(const StoreFile&) = delete;
  StoreFile& operator=(const StoreFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void exec_worker(const std::vector<std::string>& arguments, int rank, int nproc, int store_fd,
                              pid_t launcher) {
  // Ctrl-C in a terminal goes to the foreground process group: the launcher alone, which forwards it once.
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != launcher) _exit(128 + SIGTERM);  // the launcher died before prctl took effect
  fcntl(store_fd, F_SETFD, 0);                      // the worker (and it alone) keeps the store across exec
  const auto set = [](const char* name, const std::string& value) { setenv(name, value.c_str(), 1); };
  set("RANK", std::to_string(rank));
  set("LOCAL_RANK", std::to_string(rank));
  set("WORLD_SIZE", std::to_string(nproc));
  set("LOCAL_WORLD_SIZE", std::to_string(nproc));
  set("TINT_STORE_FD", std::to_string(store_fd));
  // An enclosing job's rendezvous (say, a shell inside a Slurm allocation) is not this one's.
  unsetenv("MASTER_ADDR");
  unsetenv("MASTER_PORT");
  std::vector<std::string> args{"tint"};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "tint: rank %d: cannot start /proc/self/exe: %s\n", rank, std::strerror(errno));
  _exit(127);
}

}  // namespace

std::string WorkerExit::describe() const {
  if (signal != 0) {
    return fmt::format("rank {} (pid {}) was killed by signal {} ({}){}", rank, pid, signal, strsignal(signal),
                       killed_by_launcher ? ", by the launcher after the others had stopped" : "");
  }
  return fmt::format("rank {} (pid {}) exited with status {}", rank, pid, exit_code);
}

int LaunchResult::exit_code() const {
  if (first_failure < 0) return 0;
  const auto& w = workers[first_failure];
  return w.signal != 0 ? 128 + w.signal : w.exit_code;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(fmt::format("cannot open a socket to find a free port: {}", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) throw Error(fmt::format("cannot find a free port on 127.0.0.1: {}", std::strerror(errno)));
  return ntohs(address.sin_port);
}

LaunchResult launch_local(int nproc, const std::vector<std::string>& arguments, std::chrono::milliseconds timeout) {
  if (nproc < 1) throw Error(fmt::format("--nproc {}: expected at least 1 worker", nproc));
  const StoreFile store;
  const pid_t self = getpid();
  LaunchResult result;
  std::vector<bool> running(nproc, false);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = fork();
    if (pid < 0) {
      for (int k = 0; k < r; ++k) kill(result.workers[k].pid, SIGKILL);
      for (int k = 0; k < r; ++k) waitpid(result.workers[k].pid, nullptr, 0);
      throw Error(fmt::format("cannot start worker {} of {}: {}", r, nproc, std::strerror(errno)));
    }
    if (pid == 0) exec_worker(arguments, r, nproc, store.fd(), self);
    result.workers.push_back({r, pid});
    running[r] = true;
  }
  bool forwarded = false;
  Clock::time_point deadline = Clock::time_point::max();
  int left = nproc;
  while (left > 0) {
    if (interrupt_requested() && !forwarded) {
      for (int r = 0; r < nproc; ++r)
        if (running[r]) kill(result.workers[r].pid, SIGINT);
      forwarded = true;
    }
    if (Clock::now() > deadline) {
      for (int r = 0; r < nproc; ++r) {
        if (!running[r]) continue;
        result.workers[r].killed_by_launcher = true;
        kill(result.workers[r].pid, SIGKILL);
      }
      deadline = Clock::time_point::max();
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    for (int r = 0; r < nproc; ++r) {
      auto& w = result.workers[r];
      if (w.pid != pid || !running[r]) continue;
      running[r] = false;
      --left;
      if (WIFSIGNALED(status)) w.signal = WTERMSIG(status);
      if (WIFEXITED(status)) w.exit_code = WEXITSTATUS(status);
      if ((w.signal != 0 || w.exit_code != 0) && result.first_failure < 0) {
        result.first_failure = r;
        deadline = Clock::now() + timeout + kMargin;
      }
    }
  }
  return result;
}

}  // namespace tint::distributed
