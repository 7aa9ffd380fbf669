// A main() for fuzz targets built without libFuzzer: runs LLVMFuzzerTestOneInput once on each
// file named on the command line, and on every file under each directory named there (a
// missing directory is skipped: regressions/<target>/ exists only once a crash was found).
//
//   multipart_fuzzer_seeds_test --require_inputs fuzz/corpus/multipart_fuzzer
//
// With --require_inputs, finding no input at all is an error (a seed corpus that moved).
// A failing input aborts the process, as under libFuzzer; the last "running" line names it.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

void CollectFiles(const std::string& path, std::vector<std::string>* files) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return;
  if (!S_ISDIR(info.st_mode)) {
    files->push_back(path);
    return;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> entries;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;  // ., .. and hidden files such as .gitkeep.
    entries.push_back(path + "/" + entry->d_name);
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end());
  for (const std::string& entry : entries) CollectFiles(entry, files);
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  bool require_inputs = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--require_inputs") == 0) {
      require_inputs = true;
    } else if (argv[i][0] == '-') {
      continue;  // libFuzzer flags, so the same command line works with either main.
    } else {
      CollectFiles(argv[i], &files);
    }
  }
  if (require_inputs && files.empty()) {
    std::fprintf(stderr, "no inputs found\n");
    return 1;
  }
  for (const std::string& file : files) {
    std::fprintf(stderr, "running %s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A copy in its own allocation, so ASan catches a read past the end of the input.
    std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), data.get());
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
  }
  std::fprintf(stderr, "%zu inputs passed\n", files.size());
  return 0;
}
