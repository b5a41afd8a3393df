// A layer's program (bin/greet) that needs the layer's library (lib/liblemu-greeting.so), found by the
// dynamic loader only through LD_LIBRARY_PATH: it is built without an rpath.
#include <cstdio>
extern "C" const char* lemu_layer_greeting();
int main() {
  std::puts(lemu_layer_greeting());
  return 0;
}
