// lib/base64: the images of a node-local checkpoint travel MOM to MOM in
// it, so a decode that accepted a bad chunk would write wrong bytes (the
// manifest's digests catch that at commit, but only there).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "lib/base64.h"

static std::string enc(const std::string &s)
{
	char *e = base64_encode(reinterpret_cast<const unsigned char *>(s.data()), s.size());
	std::string r(e);
	free(e);
	return r;
}

TEST(Base64, Rfc4648Vectors)
{
	EXPECT_EQ(enc(""), "");
	EXPECT_EQ(enc("f"), "Zg==");
	EXPECT_EQ(enc("fo"), "Zm8=");
	EXPECT_EQ(enc("foo"), "Zm9v");
	EXPECT_EQ(enc("foob"), "Zm9vYg==");
	EXPECT_EQ(enc("fooba"), "Zm9vYmE=");
	EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripEveryByteAndLength)
{
	std::string all;
	for (int i = 0; i < 256; i++)
		all.push_back(static_cast<char>(i));
	for (size_t n = 0; n <= all.size(); n++) {
		std::string in = all.substr(0, n), e = enc(in);
		unsigned char out[256];
		long got = base64_decode(e.c_str(), out, sizeof(out));
		ASSERT_EQ(got, static_cast<long>(n));
		EXPECT_EQ(std::string(reinterpret_cast<char *>(out), n), in);
	}
}

TEST(Base64, RefusesWhatIsNotCanonical)
{
	unsigned char out[16];
	EXPECT_EQ(base64_decode("Zm9", out, sizeof(out)), -1);        // not a multiple of 4
	EXPECT_EQ(base64_decode("Zm9v!A==", out, sizeof(out)), -1);   // not in the alphabet
	EXPECT_EQ(base64_decode("Zg==Zm9v", out, sizeof(out)), -1);   // padding inside
	EXPECT_EQ(base64_decode("Zm=v", out, sizeof(out)), -1);       // '=' then data
	EXPECT_EQ(base64_decode("Zm9vYmFy", out, 5), -1);             // no room
	EXPECT_EQ(base64_decode("Zm9vYmFy", out, 6), 6);
}
