// A layer's shared library (tests: lemu puts a layer's lib/ on the loader's path, /opt/lib in the sandbox).
extern "C" const char* lemu_layer_greeting() { return "hello from the layer's library"; }
