# A private swtpm for CLI test scripts, like tests/swtpm-fixture.c. Source
# it after lib.sh:
#
#	swtpm_start            # exports VMTRUST_TCTI (and TPM2TOOLS_TCTI)
#	...
#	swtpm_stop             # also run at exit
#
# A missing swtpm fails the test: the setup script installs it.

SWTPM_PID=
SWTPM_PORT=
SWTPM_DIR=

# _swtpm_port_busy PORT: something accepts connections on 127.0.0.1:PORT.
_swtpm_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _swtpm_answers PORT: swtpm answers CMD_GET_CAPABILITY on its control port.
_swtpm_answers() {
	local n
	n=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "\0\0\0\1" >&3 &&
		head -c 8 <&3 | wc -c' _ "$1" 2>/dev/null) || return 1
	[ "$n" = 8 ]
}

# swtpm_dead_port: prints a loopback port (and its successor) nobody listens on.
swtpm_dead_port() {
	local port
	while :; do
		port=$((20000 + (RANDOM % 6000) * 2))
		if ! _swtpm_port_busy "$port" && ! _swtpm_port_busy $((port + 1)); then
			echo "$port"
			return 0
		fi
	done
}

swtpm_start() {
	local bin attempt i deathsig=()

	bin=${SWTPM:-$(command -v swtpm || true)}
	if [ -z "$bin" ] || [ ! -x "$bin" ]; then
		echo "FAIL: swtpm not found: install swtpm (scripts/setup.sh) or set SWTPM" >&2
		exit 1
	fi
	# swtpm dies with this shell even when the shell is killed.
	if setpriv --help 2>/dev/null | quiet_grep -- --pdeathsig; then
		deathsig=(setpriv --pdeathsig KILL --)
	fi
	SWTPM_DIR=$(mktemp -d "$T/swtpm.XXXXXX")
	at_exit swtpm_stop

	for attempt in 1 2 3 4 5 6 7 8; do
		SWTPM_PORT=$(swtpm_dead_port)
		"${deathsig[@]}" "$bin" socket --tpm2 \
			--server "type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1" \
			--ctrl "type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1" \
			--flags not-need-init,startup-clear --tpmstate "dir=$SWTPM_DIR" \
			</dev/null >/dev/null &
		SWTPM_PID=$!
		for i in $(seq 100); do
			if ! kill -0 "$SWTPM_PID" 2>/dev/null; then
				break # lost the port to someone else: next pair
			fi
			if _swtpm_answers $((SWTPM_PORT + 1)); then
				export VMTRUST_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
				export TPM2TOOLS_TCTI=$VMTRUST_TCTI
				return 0
			fi
			sleep 0.05
		done
		kill -KILL "$SWTPM_PID" 2>/dev/null || true
		wait "$SWTPM_PID" 2>/dev/null || true
		SWTPM_PID=
	done
	echo "FAIL: swtpm did not start on $attempt port pairs" >&2
	exit 1
}

# swtpm_stop: kills swtpm and removes its state. Idempotent.
swtpm_stop() {
	if [ -n "$SWTPM_PID" ]; then
		kill -KILL "$SWTPM_PID" 2>/dev/null || true
		wait "$SWTPM_PID" 2>/dev/null || true
		SWTPM_PID=
	fi
	if [ -n "$SWTPM_DIR" ]; then
		rm -rf "$SWTPM_DIR"
		SWTPM_DIR=
	fi
}

# ak_enrollment DIR: the verifier's enrollment of the AK in $VMTRUST_STATE,
# as the README's "vmtrust attest enroll" runs it (enroll-challenge on the
# host's ek.pem and ak.pub, enroll-response by the TPM), into DIR; sets
# ENROLLMENT to the policy init options that carry it. Exits on failure.
ak_enrollment() {
	local ch=$1/enroll-challenge.json resp=$1/enroll-response.json
	if ! "$VMTRUST" -q attest enroll-challenge --ek "$VMTRUST_STATE/ek.pem" \
		--ak "$VMTRUST_STATE/ak.pub" -o "$ch" ||
		! "$VMTRUST" -q attest enroll-response "$ch" -o "$resp"; then
		echo "FAIL: the enrollment of the AK in '$VMTRUST_STATE'" >&2
		exit 1
	fi
	ENROLLMENT=(--enrollment "$ch" "$resp")
}
