#include "tint/distributed/world.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::distributed {

namespace {

const char* variable(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

long integer_variable(const char* name, long min, long max) {
  const char* text = variable(name);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
    throw Error(fmt::format("environment variable {}='{}': expected an integer in {}..{}", name, text, min, max));
  }
  return value;
}

// The local address of a UDP socket connected to host:port: connect() on UDP sends nothing, it only asks the kernel's
// routing table which source address reaches the host.
std::string routed_address(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw Error(fmt::format("MASTER_ADDR={}: cannot resolve it ({})", host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    const bool ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
    close(fd);
    if (!ok) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = local.ss_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
    if (inet_ntop(local.ss_family, raw, text, sizeof text) != nullptr) return text;
  }
  throw Error(
      fmt::format("MASTER_ADDR={}: no route from this machine to it (set GLOO_SOCKET_IFNAME or TINT_BIND_ADDR)", host));
}

// The store file --nproc handed down as an open descriptor (see launcher.cpp): /proc/self/fd/N reopens it.
std::string inherited_store_file() {
  const int fd = static_cast<int>(integer_variable("TINT_STORE_FD", 0, 1 << 20));
  struct stat status {};
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    throw Error(
        fmt::format("environment variable TINT_STORE_FD={}: not an open file of this process (tint --nproc "
                    "sets it for its workers; do not set it yourself)",
                    fd));
  }
  // The store stays open for this process's life; the programs it runs (gnuplot) must not hold it.
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fmt::format("/proc/self/fd/{}", fd);
}

}  // namespace

std::optional<World> world_from_environment() {
  const bool has_rank = variable("RANK") != nullptr, has_size = variable("WORLD_SIZE") != nullptr;
  if (!has_rank && !has_size) return std::nullopt;
  if (!has_rank || !has_size) {
    throw Error(fmt::format("environment: {} is set but {} is not (a distributed worker needs both)",
                            has_rank ? "RANK" : "WORLD_SIZE", has_rank ? "WORLD_SIZE" : "RANK"));
  }
  World w;
  w.world_size = static_cast<int>(integer_variable("WORLD_SIZE", 1, 1 << 16));
  w.rank = static_cast<int>(integer_variable("RANK", 0, w.world_size - 1));
  if (variable("LOCAL_WORLD_SIZE")) {
    w.local_world_size = static_cast<int>(integer_variable("LOCAL_WORLD_SIZE", 1, w.world_size));
  }
  // Slurm and mpirun scripts often set LOCAL_RANK alone; PyTorch's env:// does not read it.
  if (variable("LOCAL_RANK")) {
    const int ranks_here = w.local_world_size > 0 ? w.local_world_size : w.world_size;
    w.local_rank = static_cast<int>(integer_variable("LOCAL_RANK", 0, ranks_here - 1));
  }
  if (variable("TINT_STORE_FD")) {
    w.store_file = inherited_store_file();
  } else if (w.world_size > 1 || variable("MASTER_ADDR") || variable("MASTER_PORT")) {
    if (!variable("MASTER_ADDR"))
      throw Error("environment: WORLD_SIZE is set but MASTER_ADDR is not (rank 0's address)");
    if (!variable("MASTER_PORT")) throw Error("environment: WORLD_SIZE is set but MASTER_PORT is not (rank 0's port)");
    w.master_addr = variable("MASTER_ADDR");
    w.master_port = static_cast<int>(integer_variable("MASTER_PORT", 1, 65535));
  }
  w.timeout = timeout_from_environment();
  return w;
}

std::chrono::milliseconds timeout_from_environment() {
  if (!variable("TINT_DIST_TIMEOUT")) return World{}.timeout;
  return std::chrono::seconds(integer_variable("TINT_DIST_TIMEOUT", 1, 24 * 3600));
}

BindAddress bind_address(const World& world) {
  if (!world.store_file.empty()) return {"", "127.0.0.1", "loopback: every worker is on this machine"};
  if (const char* ifname = variable("GLOO_SOCKET_IFNAME")) {
    return {ifname, "", fmt::format("GLOO_SOCKET_IFNAME={}", ifname)};
  }
  if (const char* address = variable("TINT_BIND_ADDR")) {
    in6_addr ignored;
    if (inet_pton(AF_INET, address, &ignored) != 1 && inet_pton(AF_INET6, address, &ignored) != 1) {
      throw Error(
          fmt::format("environment variable TINT_BIND_ADDR='{}': expected a numeric IPv4 or IPv6 address", address));
    }
    return {"", address, fmt::format("TINT_BIND_ADDR={}", address)};
  }
  return {"", routed_address(world.master_addr, world.master_port),
          fmt::format("the local address that routes to MASTER_ADDR={}", world.master_addr)};
}

ThreadChoice threads_per_worker(int requested, const World& world, int machine_workers, int cores) {
  if (requested > 0) return {requested, ""};
  if (world.local_world_size > 0) return {std::max(1, cores / world.local_world_size), ""};
  const int workers = std::max(1, machine_workers);
  const int threads = std::max(1, cores / workers);
  return {
      threads,
      fmt::format("{} thread{} per worker: {} core{} / {} worker{} of this job on this machine (counted at "
                  "the rendezvous: LOCAL_WORLD_SIZE is not set; --threads chooses)",
                  threads, threads == 1 ? "" : "s", cores, cores == 1 ? "" : "s", workers, workers == 1 ? "" : "s")};
}

}  // namespace tint::distributed
