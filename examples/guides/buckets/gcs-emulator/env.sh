# host:port of the emulator, without a scheme: the client adds http://.
export STORAGE_EMULATOR_HOST="127.0.0.1:4443"
