// Runs the moelab-cli binary built beside the tests (MOELAB_CLI_PATH) and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace moe::testing {

struct CliResult {
    int code = -1;
    std::string output;  // stdout and stderr together
};

inline CliResult run_cli(const std::string& args) {
    const std::string cmd = std::string(MOELAB_CLI_PATH) + " " + args + " 2>&1";
    CliResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

}  // namespace moe::testing
