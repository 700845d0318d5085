// moelab-cli train --device: the CPU by default, the GPU step emulated on the CPU giving the CPU's numbers, CUDA
// refused with a message (exit != 0) when no GPU is usable, auto falling back with a note.
#include "gpu/device_probe.h"
#include "tests/cli_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

namespace moe {
namespace {

using testing::run_cli;

std::string temp_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("moelab-cli-device-" + name);
    std::filesystem::remove_all(dir);
    return dir.string();
}

// The "final validation loss X nats" of a run's output.
double final_val_loss(const std::string& output) {
    std::smatch m;
    if (!std::regex_search(output, m, std::regex("final validation loss ([0-9.]+) nats"))) return -1;
    return std::stod(m[1]);
}

const char* kSmallRun = "train --preset deepseek --steps 30 --set batch_size=4 --set seq_len=32 --set threads=1";

TEST(CliComputeDevice, EmulatedGpuStepGivesTheCpuResult) {
    const auto cpu = run_cli(std::string(kSmallRun) + " --out " + temp_dir("cpu"));
    const auto emu = run_cli(std::string(kSmallRun) + " --device emulated --out " + temp_dir("emulated"));
    ASSERT_EQ(cpu.code, 0) << cpu.output;
    ASSERT_EQ(emu.code, 0) << emu.output;
    EXPECT_NE(emu.output.find("emulated GPU"), std::string::npos) << emu.output;
    const double a = final_val_loss(cpu.output), b = final_val_loss(emu.output);
    ASSERT_GT(a, 0) << cpu.output;
    EXPECT_NEAR(a, b, 1e-3) << "CPU and emulated GPU disagree after 30 steps";
    // The GPU-trained weights reach the checkpoint.
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::temp_directory_path() /
                                        "moelab-cli-device-emulated/model.safetensors"));
}

TEST(CliComputeDevice, CudaWithoutAGpuExitsWithAMessageAndAutoFallsBack) {
    const gpu::DeviceProbe probe = gpu::probe_device();
    if (probe.usable) GTEST_SKIP() << "a GPU is present (" << probe.name << "): the refusal cannot be seen here";
    const auto cuda = run_cli(std::string(kSmallRun) + " --device cuda --out " + temp_dir("cuda"));
    EXPECT_NE(cuda.code, 0);
    EXPECT_NE(cuda.output.find("no usable CUDA GPU"), std::string::npos) << cuda.output;
    EXPECT_NE(cuda.output.find("--device cpu"), std::string::npos) << cuda.output;
    EXPECT_FALSE(std::filesystem::exists(temp_dir("cuda") + "/metrics.csv")) << "nothing should be trained";

    const auto autorun = run_cli(std::string(kSmallRun) + " --device auto --out " + temp_dir("auto"));
    EXPECT_EQ(autorun.code, 0) << autorun.output;
    EXPECT_NE(autorun.output.find("training on the CPU"), std::string::npos) << autorun.output;
}

TEST(CliComputeDevice, UnknownDeviceNamesTheChoices) {
    const auto r = run_cli(std::string(kSmallRun) + " --device gpu --out " + temp_dir("bad"));
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find("unknown device 'gpu'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("cuda"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace moe
