#include "support/listening_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/core.h>

namespace tint::test {

namespace fs = std::filesystem;

namespace {

// /proc/net/tcp{,6} print each 32-bit word of the address as the host stores it, in hex: copying the words back in
// host order gives the address's bytes.
std::string address_of(const std::string& hex, int family) {
  unsigned char bytes[16] = {};
  const size_t words = hex.size() / 8;
  for (size_t w = 0; w < words; ++w) {
    const uint32_t word = static_cast<uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
    std::memcpy(bytes + 4 * w, &word, 4);
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, text, sizeof text);
  return text;
}

// inode -> (address, port) of every listening socket in /proc/<pid>/net/tcp and tcp6 (the process's network
// namespace).
std::map<std::string, std::pair<std::string, int>> listening_inodes(pid_t pid) {
  std::map<std::string, std::pair<std::string, int>> found;
  for (const auto& [file, family] : {std::pair{"tcp", AF_INET}, std::pair{"tcp6", AF_INET6}}) {
    std::ifstream in(fmt::format("/proc/{}/net/{}", pid, file));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state != "0A") continue;  // TCP_LISTEN
      const auto colon = local.find(':');
      found[inode] = {address_of(local.substr(0, colon), family), std::stoi(local.substr(colon + 1), nullptr, 16)};
    }
  }
  return found;
}

// The inodes of the sockets `pid` holds open ("socket:[12345]" links in /proc/<pid>/fd).
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/fd", pid), ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_error;
    const std::string target = fs::read_symlink(it->path(), link_error).string();
    if (!link_error && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  return inodes;
}

}  // namespace

std::string Listener::describe() const { return fmt::format("pid {} on [{}]:{}", pid, address, port); }

bool is_loopback(const std::string& address) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

std::vector<pid_t> process_tree(pid_t root) {
  std::vector<pid_t> tree{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    std::error_code ec;
    for (fs::directory_iterator it(fmt::format("/proc/{}/task", tree[i]), ec), end; !ec && it != end;
         it.increment(ec)) {
      std::ifstream children(it->path() / "children");
      for (pid_t child; children >> child;) tree.push_back(child);
    }
  }
  return tree;
}

std::vector<Listener> listeners_of(const std::vector<pid_t>& pids) {
  std::vector<Listener> listeners;
  if (pids.empty()) return listeners;
  const auto listening = listening_inodes(pids.front());
  for (pid_t pid : pids) {
    for (const auto& inode : socket_inodes(pid)) {
      if (const auto it = listening.find(inode); it != listening.end()) {
        listeners.push_back({pid, it->second.first, it->second.second});
      }
    }
  }
  return listeners;
}

ListenerSamples sample_listeners(TintProcess& run, const std::function<bool()>& settled) {
  ListenerSamples samples;
  const auto add = [](std::vector<Listener>& to, const std::vector<Listener>& listeners) {
    for (const auto& l : listeners) {
      const bool known = std::any_of(to.begin(), to.end(), [&](const Listener& k) {
        return k.pid == l.pid && k.address == l.address && k.port == l.port;
      });
      if (!known) to.push_back(l);
    }
  };
  while (run.running()) {
    const bool now_settled = settled();
    const auto now = listeners_of(process_tree(run.pid()));
    add(samples.seen, now);
    if (now_settled) {
      ++samples.settled_samples;
      add(samples.seen_settled, now);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  return samples;
}

}  // namespace tint::test
