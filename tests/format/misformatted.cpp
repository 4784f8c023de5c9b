// Deliberately not as .clang-format says: tests/CMakeLists.txt checks that `scripts/format --check` flags this file.
int  add( int a,int b ){ return a+b ; }
